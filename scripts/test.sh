#!/usr/bin/env bash
# The test suite, as CI runs it. Extra arguments go to go test.
set -euo pipefail
cd "$(dirname "$0")/.."
# The GPU runtime too (OSR_GPU=0 skips it): ~330 MB from npm, 15 s on the
# development machine, a minute on a slow link, against CI's 90 minutes;
# without it the tests of the real CUDA plugin (registration, the loader's
# message, the fallback being identical to CPU, osr doctor) skip.
OSR_GPU="${OSR_GPU:-1}" OSR_SETUP_ROS=1 source scripts/setup.sh
go vet ./...
unformatted=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then
	echo "gofmt -w these files: $unformatted" >&2
	exit 1
fi
# The lint gate: any staticcheck finding fails the suite, in both builds.
"$OSR_STATICCHECK" ./...
# setup.sh sets OSR_TAGS: -tags ros2 where Cyclone DDS is installed, so the
# ROS 2 transport and its interop tests run too; the build without the tag
# is vetted above and its ROS 2 stub tested here.
if [ ${#OSR_TAGS[@]} -gt 0 ]; then
	go vet "${OSR_TAGS[@]}" ./...
	"$OSR_STATICCHECK" "${OSR_TAGS[@]}" ./...
	go test -count=1 ./node/ros2
fi
go test -count=1 "${OSR_TAGS[@]}" "$@" ./...
# bin/osr is built with GOEXPERIMENT=simd (setup.sh): the training ops'
# SIMD kernels, vetted, linted and tested against the scalar ones here.
GOEXPERIMENT=simd go vet ./train/nn
GOEXPERIMENT=simd "$OSR_STATICCHECK" ./train/nn
GOEXPERIMENT=simd go test -count=1 ./train/nn
# The frame loops' assembly (amd64) has Go versions for other CPUs: the
# purego tag builds those here, so they are vetted, linted and tested too.
go vet -tags purego ./model ./internal/blend
"$OSR_STATICCHECK" -tags purego ./model ./internal/blend
go test -count=1 -tags purego ./model ./internal/blend
# With the GPU runtime installed osr prefers its ONNX Runtime (1.29); the
# default install's (onnxruntime-node) is tested here again.
if [ -f gpu/node_modules/com.github.asus4.onnxruntime/Plugins/Linux/x64/libonnxruntime.so ]; then
	ONNXRUNTIME_LIB="$PWD/$lib" go test -count=1 ./model ./internal/ortep
fi
# The packages that run goroutines (eval's decode/run/measure, bag eval,
# the node's bounded queue, the training ops' workers, the engine's shared
# runtime), again under the race detector.
go test -race -short -count=1 ./calibration ./bags ./node ./internal/... ./train/nn ./model
