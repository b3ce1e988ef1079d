#!/usr/bin/env python3
"""An rclpy camera for osr's tests: publishes one frame over and over as
sensor_msgs/msg/Image (rgb8, from raw pixels) or CompressedImage (the
JPEG's bytes), with a fixed stamp per message: sec = 1000 + i, nanosec = 500.

camera.py TOPIC raw|compressed FILE WIDTH HEIGHT sensor|reliable RATE COUNT [FRAME_ID]

FRAME_ID (default camvid_camera) also names the node (camera_FRAME_ID), so
that several cameras can run side by side.
"""
import sys

import rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CompressedImage, Image


def main():
    topic, kind, path, width, height, qos, rate, count = sys.argv[1:9]
    frame_id = sys.argv[9] if len(sys.argv) > 9 else 'camvid_camera'
    rclpy.init()
    node = Node('camera' if len(sys.argv) <= 9 else 'camera_' + frame_id)
    profile = qos_profile_sensor_data if qos == 'sensor' else QoSProfile(
        depth=5, reliability=ReliabilityPolicy.RELIABLE)
    data = open(path, 'rb').read()
    if kind == 'raw':
        msg = Image(height=int(height), width=int(width), encoding='rgb8', step=3 * int(width))
        msg.data = data
        pub = node.create_publisher(Image, topic, profile)
    else:
        msg = CompressedImage(format='jpeg')
        msg.data = data
        pub = node.create_publisher(CompressedImage, topic, profile)
    msg.header.frame_id = frame_id
    sent = [0]

    def tick():
        if sent[0] >= int(count):
            raise SystemExit
        msg.header.stamp.sec = 1000 + sent[0]
        msg.header.stamp.nanosec = 500
        pub.publish(msg)
        sent[0] += 1

    node.create_timer(1.0 / float(rate), tick)
    try:
        rclpy.spin(node)
    except (SystemExit, KeyboardInterrupt):
        pass
    print('sent', sent[0], flush=True)


if __name__ == '__main__':
    main()
