#!/usr/bin/env bash
# The camvid-ood experiment: trains the msp, noise and so segmenters of the
# default size on the bicyclist-free CamVid train images (config/camvid-*.yaml),
# each into runs/camvid-MODE. Safe to stop and run again: an interrupted run
# continues from its checkpoint, a finished one is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x bin/osr ] || bash scripts/setup.sh
for mode in ${MODES:-msp noise so}; do
	out=runs/camvid-$mode
	if [ -f "$out/checkpoint.osr" ]; then
		nice -n "${NICE:-10}" bin/osr train --out "$out" --resume
	else
		nice -n "${NICE:-10}" bin/osr train --config "config/camvid-$mode.yaml" --out "$out"
	fi
done
