# Shortcuts for the scripts in scripts/ (they need only bash).
.PHONY: demo test build bench gpu gpu-check
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
build:
	bash scripts/setup.sh
bench: build
	./bin/osr bench all
gpu:
	OSR_GPU=1 bash scripts/setup.sh
gpu-check: gpu
	bash scripts/gpu_check.sh
