#!/usr/bin/env bash
# The GPU check of issue 19, for a machine with an NVIDIA GPU, its driver,
# and the CUDA 13 and cuDNN 9 libraries (system packages or pip's nvidia-*
# wheels, whose site-packages/nvidia/*/lib folders this script puts on
# LD_LIBRARY_PATH). It runs osr doctor --device cuda, then osr bench on cuda
# at 480x360 and 1920x1080, then osr infer and osr eval on the CamVid val
# split on cuda and on cpu, and checks: label agreement >= 99.9 %, outlier
# score max |diff| <= 1e-3, the same AP and FPR95 to 3 decimals.
#   bash scripts/gpu_check.sh [OUTDIR]          (default /tmp/osr-gpu-check)
# Environment:
#   OSR              the osr binary (default bin/osr; build with scripts/setup.sh)
#   CAMVID           the CamVid dataset (default: shared/datasets/camvid in .., ../.. or the checkout)
#   ONNXRUNTIME_LIB  ONNX Runtime's core library, and
#   OSR_ORT_PLUGINS  the folder of its provider plugins, when not the gpu/ install
#   OSR_GPU_PARTS    a folder of scripts/gpu_pack.sh parts: the GPU runtime,
#                    bin/osr with its libraries, and CamVid val, unpacked and used
#                    where OSR, ONNXRUNTIME_LIB, OSR_ORT_PLUGINS and CAMVID are unset
#   FRAMES           bench frames (default 200)
#   LIMIT            val images for infer and eval (default all 101)
#   GPU_CHECK_DEVICE cpu runs the same steps and checks with cpu in place of
#                    cuda, on any machine: the script's own test
# Exit status: 0 every check passes, 1 one fails, 2 no GPU here.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/osr-gpu-check}
osr=${OSR:-bin/osr}
frames=${FRAMES:-200}
limit=${LIMIT:-0}
dev=${GPU_CHECK_DEVICE:-cuda}
provider=CUDAExecutionProvider
[ "$dev" = cpu ] && provider=CPUExecutionProvider

gpus=0
if command -v nvidia-smi >/dev/null 2>&1; then
	gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
fi
if [ "$gpus" = 0 ] && [ -d /proc/driver/nvidia/gpus ]; then
	gpus=$(find /proc/driver/nvidia/gpus -mindepth 1 -maxdepth 1 | wc -l)
fi
if [ "$gpus" = 0 ] && [ "$dev" = cuda ]; then
	echo "gpu_check: no GPU here (nvidia-smi lists none and /proc/driver/nvidia/gpus is empty or absent): nothing to check" >&2
	exit 2
fi

mkdir -p "$out"
exec > >(tee "$out/gpu_check.txt") 2>&1

if [ -n "${OSR_GPU_PARTS:-}" ]; then
	echo "== unpacking the GPU runtime from $OSR_GPU_PARTS"
	[ ! -f "$OSR_GPU_PARTS/SHA256SUMS" ] || (cd "$OSR_GPU_PARTS" && sha256sum --quiet -c SHA256SUMS)
	rm -rf "$out/runtime" && mkdir -p "$out/runtime"
	cat "$OSR_GPU_PARTS"/osr-gpu.tar.gz.part* | tar -xz -C "$out/runtime"
	r=$(cd "$out/runtime" && pwd)
	export ONNXRUNTIME_LIB="${ONNXRUNTIME_LIB:-$r/com.github.asus4.onnxruntime/Plugins/Linux/x64/libonnxruntime.so}"
	export OSR_ORT_PLUGINS="${OSR_ORT_PLUGINS:-$r/com.github.asus4.onnxruntime.linux-x64-gpu/Plugins/Linux/x64}"
	if [ -z "${OSR:-}" ] && [ -x "$r/osr/bin/osr" ]; then
		osr=$r/osr/bin/osr
		export LD_LIBRARY_PATH="$r/osr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	fi
	[ -n "${CAMVID:-}" ] || [ ! -f "$r/camvid/dataset.yaml" ] || CAMVID=$r/camvid
fi
[ -x "$osr" ] || { echo "gpu_check: $osr not found: build it with bash scripts/setup.sh, or set OSR" >&2; exit 1; }

# CUDA libraries where the loader does not look: pip wheels and CUDA installs.
libdirs=()
for py in python3 python; do
	command -v "$py" >/dev/null 2>&1 || continue
	while IFS= read -r sp; do
		for d in "$sp"/nvidia/*/lib "$sp"/tensorrt_libs; do
			[ -d "$d" ] && libdirs+=("$d")
		done
	done < <("$py" -c 'import site; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null || true)
done
for d in /usr/local/cuda/lib64 /usr/local/cuda-13*/lib64; do
	[ -d "$d" ] && libdirs+=("$d")
done
if [ ${#libdirs[@]} -gt 0 ]; then
	extra=$(printf '%s\n' "${libdirs[@]}" | awk '!seen[$0]++' | paste -sd:)
	export LD_LIBRARY_PATH="$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L

camvid=${CAMVID:-}
if [ -z "$camvid" ]; then
	for d in ../shared/datasets/camvid ../../shared/datasets/camvid shared/datasets/camvid; do
		[ -f "$d/dataset.yaml" ] && camvid=$d && break
	done
fi
[ -n "$camvid" ] && [ -f "$camvid/dataset.yaml" ] || { echo "gpu_check: CamVid not found: set CAMVID to the dataset folder" >&2; exit 1; }

failed=0
check() { # check NAME COMMAND...: run it, and record PASS or FAIL
	local name=$1
	shift
	if "$@"; then echo "PASS  $name"; else echo "FAIL  $name"; failed=1; fi
}
logged() { # logged LOG COMMAND...: output to LOG, its tail shown on failure
	local log=$1
	shift
	"$@" >"$log" 2>&1 || { tail -5 "$log"; return 1; }
}
stdout_to() { # stdout_to FILE COMMAND...
	local f=$1
	shift
	"$@" >"$f"
}
json() { # json FILE KEY: a number from osr's indented JSON
	grep -o "\"$2\": [-0-9.e+]*" "$1" | head -1 | awk '{print $2}'
}

echo; echo "== osr doctor --device $dev"
check "osr doctor --device $dev" "$osr" doctor --device "$dev"
[ "$failed" = 0 ] || { echo "gpu_check: $dev does not work here; doctor says why"; exit 1; }

echo; echo "== osr bench"
for size in 480x360 1920x1080; do
	for d in "$dev" cpu; do
		n=$frames; [ "$d" = cpu ] && n=$(( frames < 20 ? frames : 20 ))
		check "bench --device $d --size $size" stdout_to "$out/bench_${d}_$size.json" \
			"$osr" bench --device "$d" --fallback fail --json --frames "$n" --size "$size"
	done
	f="$out/bench_${dev}_$size.json"
	check "bench $size runs on $provider" grep -q "\"provider\": \"$provider\"" "$f"
	printf '%-9s %s: run %7.2f ms, end to end %7.2f ms, from JPEG %7.2f ms | cpu: run %7.2f ms, end to end %7.2f ms\n' "$size" "$dev" \
		"$(json "$f" raw_ms)" "$(json "$f" e2e_ms)" "$(json "$f" jpeg_e2e_ms)" \
		"$(json "$out/bench_cpu_$size.json" raw_ms)" "$(json "$out/bench_cpu_$size.json" e2e_ms)"
done

echo; echo "== osr infer on $camvid val, $dev against cpu"
images=("$camvid"/val/images/*)
[ "$limit" -gt 0 ] && images=("${images[@]:0:$limit}")
for d in "$dev" cpu; do
	rm -rf "$out/infer_$d"
	check "infer --device $d (${#images[@]} images)" logged "$out/infer_$d.log" \
		"$osr" infer --device "$d" --fallback fail "${images[@]}" --out "$out/infer_$d"
done
check "labels agree >= 99.9 %, score max |diff| <= 1e-3" \
	"$osr" infer compare "$out/infer_cpu" "$out/infer_$dev" --min-agreement 0.999 --max-score-diff 0.001

echo; echo "== osr eval on $camvid val (camvid-ood), $dev against cpu"
for d in "$dev" cpu; do
	check "eval --device $d" logged "$out/eval_$d.log" \
		"$osr" eval --device "$d" --fallback fail --data "$camvid" --split val --protocol camvid-ood --limit "$limit" --out "$out/eval_$d"
done
for k in ap fpr95 auroc miou; do
	a=$(printf '%.3f' "$(json "$out/eval_$dev/report.json" $k)")
	b=$(printf '%.3f' "$(json "$out/eval_cpu/report.json" $k)")
	echo "$k: $dev $a, cpu $b"
	if [ "$k" = ap ] || [ "$k" = fpr95 ]; then
		check "$k equal to 3 decimals" [ "$a" = "$b" ]
	fi
done

echo
if [ "$failed" = 0 ]; then echo "gpu_check: every check passed; results in $out"; else echo "gpu_check: some checks FAILED; results in $out"; fi
exit "$failed"
