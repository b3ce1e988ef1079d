#!/usr/bin/env bash
# Plays a split pasted with `osr dataset paste --track N` as a ROS 1 bag
# through the real node (temporal filter K of N), records ~outlier_objects
# with rosbag, and compares every frame's boxes with what `osr eval objects`
# reports for the same filter (EVAL/objects.csv): the two must agree.
#
#   bash scripts/objects_bag.sh DATA SPLIT K N EVAL
#   e.g. bash scripts/objects_bag.sh runs/camvid-track-test test 3 5 runs/objects-test
#
# Needs roscore, rosbag and python3-rosbag (Debian ros-core, python3-rosbag).
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1 split=$2 k=$3 n=$4 eval=$5
osr=${OSR:-bin/osr}
work=$(mktemp -d)
port=${PORT:-11397}
export ROS_MASTER_URI=http://127.0.0.1:$port
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	sleep 2
	rm -rf "$work"
}
trap cleanup EXIT
"$osr" bag from-dataset --data "$data" --split "$split" --rate "${RATE:-4}" --out "$work/in.bag" >/dev/null
roscore -p "$port" >"$work/roscore.log" 2>&1 &
pids+=($!)
sleep 4
"$osr" node image:=/camera/image_raw _objects_n:="$n" _objects_k:="$k" >"$work/node.log" 2>&1 &
pids+=($!)
until grep -q "registered with the ROS master" "$work/node.log"; do sleep 0.5; done
rosbag record -O "$work/out.bag" /osr/outlier_objects >/dev/null 2>&1 &
rec=$!
until [ -f "$work/out.bag.active" ]; do sleep 0.2; done
sleep 2.5 # the node sees the recorder within its 1 s watchdog
rosbag play -q -d 2 "$work/in.bag"
sleep 2
kill -INT "$rec"
while [ ! -f "$work/out.bag" ]; do sleep 0.2; done
sleep 1
/usr/bin/python3 - "$work/in.bag" "$work/out.bag" "$eval/objects.csv" "$data/$split/pasted.csv" "$k" "$n" <<'PY'
import csv, sys
import rosbag

inbag, outbag, evalcsv, pasted, k, n = sys.argv[1:]
names = [r['image'] for r in csv.DictReader(open(pasted))]
stamps = sorted(m.header.stamp for _, m, _ in rosbag.Bag(inbag).read_messages(topics=['/camera/image_raw']))
image = {s: names[i] for i, s in enumerate(stamps)}
want = {name: set() for name in names}
for r in csv.DictReader(open(evalcsv)):
    if r['k'] == k and r['n'] == n:
        want[r['image']].add(tuple(int(r[c]) for c in ('x0', 'y0', 'x1', 'y1')))
got = {}
for _, m, _ in rosbag.Bag(outbag).read_messages():
    got[image[m.header.stamp]] = {(int(d.bbox.center.x - d.bbox.size_x / 2), int(d.bbox.center.y - d.bbox.size_y / 2),
                                   int(d.bbox.center.x + d.bbox.size_x / 2), int(d.bbox.center.y + d.bbox.size_y / 2))
                                  for d in m.detections}
same = sum(got.get(name) == want[name] for name in names)
boxes = sum(len(v) for v in got.values())
print(f'k={k}, n={n}: {len(got)} of {len(names)} frames on ~outlier_objects, {boxes} boxes; '
      f'{same} frames with the same boxes as osr eval objects ({sum(len(v) for v in want.values())} boxes)')
sys.exit(0 if same == len(names) else 1)
PY
