#!/usr/bin/env bash
# The test suite, as CI runs it. Extra arguments go to go test.
set -euo pipefail
cd "$(dirname "$0")/.."
OSR_SETUP_ROS=1 source scripts/setup.sh
go vet ./...
go test -count=1 "$@" ./...
