#!/usr/bin/env bash
# The image-wide experiment (the paper's Table 1 on CPU): Fashion-MNIST
# classifiers with max-softmax alone (msp), with jointly trained Real NVP
# outliers (so) and, with MODES="msp so gan", with jointly trained GAN
# outliers (gan, Lee et al. 2018), over several seeds; one report per run in
# runs/imagewide${TAG}-MODE-sSEED, then the table over all of them.
# Settings are `osr train imagewide`'s defaults (docs/results.md's session-5
# sweep); ARGS adds flags to every run, for example
#   TAG=-w1 ARGS="--flow-seg-weight 1" bash scripts/imagewide.sh
# Finished runs are skipped, so an interrupted sweep continues.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x bin/osr ] || bash scripts/setup.sh
for seed in ${SEEDS:-1 2 3 4 5 6}; do
	for mode in ${MODES:-msp so}; do
		out=runs/imagewide${TAG:-}-$mode-s$seed
		[ -f "$out/report.json" ] && continue
		# shellcheck disable=SC2086 # ARGS is a list of flags
		nice -n "${NICE:-10}" bin/osr train imagewide --mode "$mode" --seed "$seed" ${ARGS:-} --out "$out"
	done
done
python3 scripts/imagewide_table.py runs/imagewide${TAG:-}-*/report.json
