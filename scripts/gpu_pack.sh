#!/usr/bin/env bash
# Packs the GPU runtime that `OSR_GPU=1 bash scripts/setup.sh` installed
# (ONNX Runtime 1.29's core library and its provider plugins, ~250 MB) into
# gzip'ed tar parts of at most PART_SIZE (default 40M, for transfers with a
# size limit) and a SHA256SUMS, to take to a GPU machine that cannot reach
# npm. There, OSR_GPU_PARTS=DIR bash scripts/gpu_check.sh reassembles them.
#   bash scripts/gpu_pack.sh OUTDIR [PART_SIZE]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bash scripts/gpu_pack.sh OUTDIR [PART_SIZE]}
size=${2:-40M}
dirs=(com.github.asus4.onnxruntime/Plugins/Linux/x64 com.github.asus4.onnxruntime.linux-x64-gpu/Plugins/Linux/x64)
for d in "${dirs[@]}"; do
	[ -d "gpu/node_modules/$d" ] || { echo "gpu_pack: gpu/node_modules/$d missing: run OSR_GPU=1 bash scripts/setup.sh first" >&2; exit 1; }
done
mkdir -p "$out"
rm -f "$out"/osr-gpu.tar.gz.part* "$out/SHA256SUMS"
tar -C gpu/node_modules -cf - "${dirs[@]}" | gzip -6 | split -b "$size" -d -a 2 - "$out/osr-gpu.tar.gz.part"
(cd "$out" && sha256sum osr-gpu.tar.gz.part* >SHA256SUMS)
ls -l "$out"
