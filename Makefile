# Shortcuts for the scripts in scripts/ (they need only bash).
.PHONY: demo test build bench
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
build:
	bash scripts/setup.sh
bench: build
	./bin/osr bench all
