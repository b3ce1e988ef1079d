#!/usr/bin/env bash
# Evaluates the camvid-ood models (runs/camvid-MODE/model, or MODELS="name=dir ...")
# on val and test, for the MSP and entropy scores at T = 1 and at the T that
# `osr calibrate` picks on val inlier pixels, and prints the results table
# (docs/results.md). Reports land in runs/results/; runs/compare-test/ draws the
# test PR and ROC curves of every model (entropy at its calibrated T) in one figure.
# Each report's threshold (and so its inlier TPR and mask figures) is the one
# `osr calibrate` sets on val inliers for that score and T.
#
# EVAL_DATA evaluates on another dataset with the same protocol (T is still chosen
# on DATA's val), for example the pasted-object split of `osr dataset paste`;
# SPLITS, SCORES, RESULTS and COMPARE narrow the runs and move the outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA:-../shared/datasets/camvid}
eval_data=${EVAL_DATA:-$data}
splits=${SPLITS:-val test}
scores=${SCORES:-msp entropy}
results=${RESULTS:-runs/results}
models=${MODELS:-"msp=runs/camvid-msp/model noise=runs/camvid-noise/model so=runs/camvid-so/model"}
limit=${LIMIT:-0}
compare=()
# calibrated NAME DIR T...: a copy of DIR in $results/NAME/, calibrated on DATA's val
# inliers over the given temperatures, so that every report's threshold keeps 95 % of
# val inliers at its own T and score (the exported model's is for MSP at T = 1).
calibrated() {
	local name=$1 dir=$2 temps=$3 copy
	copy=$results/$name/model-T${temps//,/-}
	if [ ! -f "$copy/.calibrated" ]; then
		rm -rf "$copy" && mkdir -p "$copy" && cp "$dir/model.onnx" "$dir/model.yaml" "$copy/"
		bin/osr calibrate --model "$copy" --data "$data" --protocol camvid-ood --temperatures "$temps" \
			--limit "$limit" >"$copy/calibrate.log" 2>&1 || { echo "calibrate $name: see $copy/calibrate.log" >&2; return 1; }
		touch "$copy/.calibrated"
	fi
	echo "$copy"
}
for entry in $models; do
	name=${entry%%=*} dir=${entry#*=}
	[ -f "$dir/model.yaml" ] || { echo "skip $name: no $dir/model.yaml" >&2; continue; }
	chosen=$(calibrated "$name" "$dir" 1,1.5,2,3,5,10)
	T=$(awk '/^scoring:/ {s = 1} s && /^ +temperature:/ {print $2; exit}' "$chosen/model.yaml")
	echo "$name: T = $T chosen on val inliers" >&2
	for split in $splits; do
		for score in $scores; do
			for t in 1 "$T"; do
				out=$results/$name/$split-$score-T$t
				# Reports from before osr kept the curve in report.json are redone.
				grep -qs '"curve"' "$out/report.json" && continue
				m=$chosen # already calibrated at T
				[ "$t" = "$T" ] || m=$(calibrated "$name" "$dir" "$t")
				bin/osr eval --model "$m" --data "$eval_data" --split "$split" --protocol camvid-ood \
					--score "$score" --limit "$limit" --out "$out" >/dev/null 2>&1
			done
		done
	done
	[ -f "$results/$name/test-entropy-T$T/report.json" ] && compare+=("$name=$results/$name/test-entropy-T$T")
done
python3 scripts/results_table.py "$results"
if [ ${#compare[@]} -gt 0 ]; then
	bin/osr eval compare --out "${COMPARE:-runs/compare-test}" "${compare[@]}"
fi
