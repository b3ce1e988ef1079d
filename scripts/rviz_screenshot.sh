#!/usr/bin/env bash
# Takes docs/rviz_overlay.png: RViz (ROS 1) under Xvfb showing osr's overlay
# and outlier mask for a CamVid frame. Needs rviz, xvfb, x11-apps and
# imagemagick from Debian, and bin/osr (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
frame=${1:-demo/camvid/0001TP_008640.jpg}
out=${2:-docs/rviz_overlay.png}
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
export ROS_MASTER_URI=http://127.0.0.1:$port ROS_HOME=$work ROS_LOG_DIR=$work/log ROS_IP=127.0.0.1 DISPLAY=:97
pids=()
cleanup() { for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

setsid Xvfb :97 -screen 0 1500x900x24 >/dev/null 2>&1 & pids+=($!)
setsid roscore -p "$port" >"$work/roscore.log" 2>&1 & pids+=($!)
sleep 4
setsid ./bin/osr node --model models/camvid-so image:=/camera/image_raw >"$work/node.log" 2>&1 & pids+=($!)
setsid rviz -d launch/osr_overlay.rviz >"$work/rviz.log" 2>&1 & pids+=($!)
sleep 8
# Raw RGB bytes of the frame for the rospy publisher.
go run ./scripts/rgbdump "$frame" "$work/frame.rgb"
setsid /usr/bin/python3 testdata/ros1/pub_image.py /camera/image_raw raw "$work/frame.rgb" 480 360 rgb8 1440 2 30 camera >"$work/pub.log" 2>&1 & pids+=($!)
sleep 10
mkdir -p "$(dirname "$out")"
xwd -root -silent | /usr/bin/convert xwd:- "$out"
echo "wrote $out"
