#!/usr/bin/env bash
# The image-wide experiment (the paper's Table 1 on CPU): Fashion-MNIST
# classifiers with max-softmax alone (msp) and with jointly trained Real NVP
# outliers (so), same steps, reports in runs/imagewide-MODE/report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x bin/osr ] || bash scripts/setup.sh
for mode in ${MODES:-msp so}; do
	nice -n "${NICE:-10}" bin/osr train imagewide --mode "$mode" --steps "${STEPS:-1500}" --batch "${BATCH:-64}" \
		--flow-blocks "${FLOW_BLOCKS:-1}" --flow-features "${FLOW_FEATURES:-8}" \
		--flow-warmup "${FLOW_WARMUP:-0}" --flow-lr "${FLOW_LR:-0.0001}" --out "runs/imagewide${TAG:-}-$mode"
done
