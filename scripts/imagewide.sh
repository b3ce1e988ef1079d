#!/usr/bin/env bash
# The image-wide experiment (the paper's Table 1 on CPU): Fashion-MNIST
# classifiers with max-softmax alone (msp) and with jointly trained Real NVP
# outliers (so), over several seeds; one report per run in
# runs/imagewide${TAG}-MODE-sSEED, then the table over all of them.
# The defaults are `osr train imagewide`'s, docs/results.md's session-5
# sweep: a narrow classifier, 800 steps of 32, a 300-step flow warm-up, flow
# seg weight 0.1 (resumable: finished runs are skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x bin/osr ] || bash scripts/setup.sh
for seed in ${SEEDS:-1 2 3 4 5 6}; do
	for mode in ${MODES:-msp so}; do
		out=runs/imagewide${TAG:-}-$mode-s$seed
		[ -f "$out/report.json" ] && continue
		nice -n "${NICE:-10}" bin/osr train imagewide --mode "$mode" --seed "$seed" \
			--widths "${WIDTHS:-16,32,64}" --steps "${STEPS:-800}" --batch "${BATCH:-32}" \
			--flow-blocks "${FLOW_BLOCKS:-1}" --flow-features "${FLOW_FEATURES:-8}" \
			--flow-warmup "${FLOW_WARMUP:-300}" --flow-lr "${FLOW_LR:-0.001}" \
			--flow-seg-weight "${FLOW_SEG_WEIGHT:-0.1}" --out "$out"
	done
done
python3 scripts/imagewide_table.py runs/imagewide${TAG:-}-*/report.json
