#!/usr/bin/env bash
# Ships a finished camvid-ood run as a model package:
#   bash scripts/ship_model.sh MODE [KIND [RUN]]   (MODE: msp, noise or so; KIND: msp or entropy;
#                                                   RUN: the run directory, default runs/camvid-MODE)
# copies RUN/model to models/camvid-MODE, names it, records this
# step in its provenance, then calibrates it on CamVid val (temperature and
# threshold into model.yaml, score KIND, default entropy).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: ship_model.sh MODE [KIND [RUN]]} kind=${2:-entropy} run=${3:-runs/camvid-$mode}
src=$run/model dst=models/camvid-$mode data=${DATA:-../shared/datasets/camvid}
[ -f "$src/model.yaml" ] || { echo "no $src/model.yaml: train it first (scripts/camvid_ood.sh)" >&2; exit 1; }
[ -x bin/osr ] || bash scripts/setup.sh
rm -rf "$dst"
mkdir -p "$dst"
cp "$src/model.onnx" "$src/model.yaml" "$dst/"
sed -i "s/^name: .*/name: camvid-$mode/" "$dst/model.yaml"
sed -i "s#^\(    command: .*\)#\1; then bash scripts/ship_model.sh $mode $kind $run#" "$dst/model.yaml"
bin/osr calibrate --model "$dst" --data "$data" --split val --protocol camvid-ood --kind "$kind"
