#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME (default 10m), JOBS at a time (default
# 2, each on one worker), then copies up to KEEP (default 40) of the
# smallest new interesting inputs per target into its testdata/fuzz corpus,
# which `go test` replays in CI. Logs in runs/fuzz/. Needs the build tags
# of the suite (OSR_TAGS, as scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10m} JOBS=${JOBS:-2} KEEP=${KEEP:-40}
mkdir -p runs/fuzz
targets=$(grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./runs/' | while read -r f; do
	for t in $(grep -o '^func Fuzz[A-Za-z0-9]*' "$f" | cut -d' ' -f2); do echo "$(dirname "$f") $t"; done
done | sort)
echo "$targets" | xargs -P "$JOBS" -L 1 bash -c '
	pkg=$0 target=$1
	log=runs/fuzz/$(basename "$pkg")-$target.log
	if nice -n 19 go test ${OSR_TAGS:+-tags "$OSR_TAGS"} -run "^$" -fuzz "^$target\$" -fuzztime '"$FUZZTIME"' -parallel 1 "$pkg" >"$log" 2>&1; then
		echo "ok   $pkg $target: $(grep -o "execs: [0-9]*" "$log" | tail -1)"
	else
		echo "FAIL $pkg $target: see $log"
	fi'
cache=$(go env GOCACHE)/fuzz
echo "$targets" | while read -r pkg target; do
	src=$cache/osr/${pkg#./}/$target
	[ -d "$src" ] || src=$cache/osr/$target
	[ -d "$src" ] || continue
	dst=$pkg/testdata/fuzz/$target
	mkdir -p "$dst"
	ls -S -r "$src" | head -n "$KEEP" | while read -r f; do cp -n "$src/$f" "$dst/$f"; done
	echo "corpus $dst: $(ls "$dst" | wc -l) files"
done
