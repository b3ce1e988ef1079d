#!/usr/bin/env python3
"""An rclpy subscriber for osr's tests: waits for the first
vision_msgs/msg/Detection2DArray on TOPIC (reliable QoS) that holds a
detection and prints it as one JSON line: header, and per detection its
header, box, hypotheses and id.

objects.py TOPIC
"""
import json
import sys

import rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from vision_msgs.msg import Detection2DArray


def stamp(h):
    return {'sec': h.stamp.sec, 'nanosec': h.stamp.nanosec, 'frame_id': h.frame_id}


def main():
    topic = sys.argv[1]
    rclpy.init()
    node = Node('objects_listener')
    done = []

    def on(msg):
        if done or not msg.detections:
            return
        done.append(1)
        print(json.dumps({'header': stamp(msg.header), 'detections': [{
            'header': stamp(d.header), 'id': d.id,
            'cx': d.bbox.center.position.x, 'cy': d.bbox.center.position.y,
            'sx': d.bbox.size_x, 'sy': d.bbox.size_y,
            'results': [{'class_id': r.hypothesis.class_id, 'score': r.hypothesis.score} for r in d.results],
        } for d in msg.detections]}), flush=True)

    node.create_subscription(Detection2DArray, topic, on, QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE))
    print('subscribed', flush=True)
    try:
        while not done:
            rclpy.spin_once(node, timeout_sec=0.5)
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
