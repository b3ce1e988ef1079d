#!/usr/bin/env python3
"""An rclpy subscriber for osr's tests: takes the first message on each
image TOPIC (reliable QoS) and writes its pixels to OUTDIR/<last name>.bin,
and prints one JSON line per message: topic, stamp, frame_id, encoding,
width, height. Exits when every topic has delivered one.

listen.py OUTDIR TOPIC...
"""
import json
import os
import sys

import rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image


def main():
    outdir, topics = sys.argv[1], sys.argv[2:]
    rclpy.init()
    node = Node('listener')
    pending = set(topics)

    def make(topic):
        def on(msg):
            if topic not in pending:
                return
            pending.discard(topic)
            with open(os.path.join(outdir, topic.rsplit('/', 1)[-1] + '.bin'), 'wb') as f:
                f.write(bytes(msg.data))
            print(json.dumps({'topic': topic, 'sec': msg.header.stamp.sec, 'nanosec': msg.header.stamp.nanosec,
                              'frame_id': msg.header.frame_id, 'encoding': msg.encoding,
                              'width': msg.width, 'height': msg.height}), flush=True)
        return on

    qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
    subs = [node.create_subscription(Image, t, make(t), qos) for t in topics]
    print('subscribed', len(subs), flush=True)
    try:
        while pending:
            rclpy.spin_once(node, timeout_sec=0.5)
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
