#!/usr/bin/env bash
# Packs what scripts/gpu_check.sh needs on a GPU machine that cannot reach
# npm or build osr: the GPU runtime that `OSR_GPU=1 bash scripts/setup.sh`
# installed (ONNX Runtime 1.29's core library and provider plugins), bin/osr
# with the shared libraries it needs beyond the C library (OpenBLAS), and the
# CamVid val split. Writes gzip'ed tar parts of at most PART_SIZE (default
# 40M, for transfers with a size limit) and SHA256SUMS; there,
# OSR_GPU_PARTS=OUTDIR bash scripts/gpu_check.sh reassembles and uses them.
#   bash scripts/gpu_pack.sh OUTDIR [PART_SIZE]
# gpu/parts is git-ignored for this: a machine reached through transfers of
# at most 64 MiB takes one part per transfer (~230 MB in 6 parts), then runs
# OSR_GPU_PARTS=gpu/parts bash scripts/gpu_check.sh.
# Environment: CAMVID, the dataset (default: shared/datasets/camvid in .., ../..).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bash scripts/gpu_pack.sh OUTDIR [PART_SIZE]}
size=${2:-40M}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for d in com.github.asus4.onnxruntime/Plugins/Linux/x64 com.github.asus4.onnxruntime.linux-x64-gpu/Plugins/Linux/x64; do
	[ -d "gpu/node_modules/$d" ] || { echo "gpu_pack: gpu/node_modules/$d missing: run OSR_GPU=1 bash scripts/setup.sh first" >&2; exit 1; }
	mkdir -p "$stage/$d"
	cp -a "gpu/node_modules/$d/." "$stage/$d/"
	rm -f "$stage/$d"/*.meta
done

[ -x bin/osr ] || { echo "gpu_pack: bin/osr missing: run bash scripts/setup.sh first" >&2; exit 1; }
mkdir -p "$stage/osr/bin" "$stage/osr/lib"
cp bin/osr "$stage/osr/bin/"
# The libraries bin/osr needs beyond glibc and libgcc, which any Linux has.
ldd bin/osr | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r name path; do
	case "$name" in libc.so.*|libm.so.*|libgcc_s.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) continue ;; esac
	cp -L "$path" "$stage/osr/lib/$name"
done

camvid=${CAMVID:-}
for d in ../shared/datasets/camvid ../../shared/datasets/camvid; do
	[ -z "$camvid" ] && [ -f "$d/dataset.yaml" ] && camvid=$d
done
if [ -n "$camvid" ]; then
	mkdir -p "$stage/camvid"
	cp -a "$camvid/dataset.yaml" "$camvid/val" "$stage/camvid/"
else
	echo "gpu_pack: no CamVid found (set CAMVID): the pack has no val split" >&2
fi

mkdir -p "$out"
rm -f "$out"/osr-gpu.tar.gz.part* "$out/SHA256SUMS"
tar -C "$stage" -cf - . | gzip -6 | split -b "$size" -d -a 2 - "$out/osr-gpu.tar.gz.part"
(cd "$out" && sha256sum osr-gpu.tar.gz.part* >SHA256SUMS)
ls -l "$out"
