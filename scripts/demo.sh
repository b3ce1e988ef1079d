#!/usr/bin/env bash
# The main job: segment the bundled CamVid frames with the bundled model.
# Writes labels, outlier score, mask and overlay PNGs to out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
./bin/osr infer --model models/camvid-so demo/camvid/*.jpg --out out/demo
./bin/osr bench --model models/camvid-so --frames 200
echo "overlays: out/demo/*_overlay.png"
