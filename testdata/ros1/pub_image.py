#!/usr/bin/python3
"""Publishes camera frames with rospy, the reference ROS 1 client, for osr's
integration tests.

usage: pub_image.py TOPIC raw FILE WIDTH HEIGHT ENCODING STEP RATE COUNT FRAME_ID
       pub_image.py TOPIC compressed FILE FORMAT RATE COUNT FRAME_ID

FILE holds the message data bytes. Each message gets header.seq = i and
header.stamp = 1000 s + i ms, so that receivers can match stamps. RATE 0
publishes as fast as possible. It waits for a subscriber before publishing.
"""
import sys
import time

import rospy
from sensor_msgs.msg import CompressedImage, Image


def main():
    topic, kind, path = sys.argv[1], sys.argv[2], sys.argv[3]
    data = open(path, "rb").read()
    if kind == "raw":
        width, height, encoding, step = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
        rate, count, frame_id = float(sys.argv[8]), int(sys.argv[9]), sys.argv[10]
        pub = rospy.Publisher(topic, Image, queue_size=1)
    else:
        fmt = sys.argv[4]
        rate, count, frame_id = float(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
        pub = rospy.Publisher(topic, CompressedImage, queue_size=1)
    rospy.init_node("osr_test_camera", anonymous=True, disable_signals=True)
    deadline = time.time() + 20
    while pub.get_num_connections() == 0 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    for i in range(count):
        if kind == "raw":
            msg = Image(height=height, width=width, encoding=encoding, is_bigendian=0, step=step, data=data)
        else:
            msg = CompressedImage(format=fmt, data=data)
        msg.header.seq = i
        msg.header.stamp = rospy.Time(1000, i * 1000000)
        msg.header.frame_id = frame_id
        pub.publish(msg)
        if rate > 0:
            time.sleep(1.0 / rate)
    time.sleep(0.5)


if __name__ == "__main__":
    main()
