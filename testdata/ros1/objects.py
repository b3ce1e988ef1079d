#!/usr/bin/python3
"""A rospy subscriber for osr's tests that needs no vision_msgs package:
it subscribes to TOPIC as rospy.AnyMsg, builds the message classes with
genpy from the definition in the publisher's connection header, and
prints the first message that holds a detection as one JSON line: the
connection's type and md5sum, the md5sum genpy computes from the
definition, the header, and per detection its header, box and hypotheses.

objects.py TOPIC
"""
import json
import sys
import time

import genpy.dynamic
import rospy


def stamp(h):
    return {'secs': h.stamp.secs, 'nsecs': h.stamp.nsecs, 'frame_id': h.frame_id}


def main():
    topic = sys.argv[1]
    done = []

    def on(raw):
        if done:
            return
        c = raw._connection_header
        cls = genpy.dynamic.generate_dynamic(c['type'], c['message_definition'])[c['type']]
        msg = cls().deserialize(raw._buff)
        if not msg.detections:
            return
        done.append(1)
        print(json.dumps({'type': c['type'], 'md5sum': c['md5sum'], 'genpy_md5sum': cls._md5sum,
                          'header': stamp(msg.header), 'detections': [{
                              'header': stamp(d.header),
                              'cx': d.bbox.center.x, 'cy': d.bbox.center.y, 'sx': d.bbox.size_x, 'sy': d.bbox.size_y,
                              'results': [{'id': r.id, 'score': r.score} for r in d.results],
                          } for d in msg.detections]}), flush=True)

    rospy.init_node('osr_objects_listener', anonymous=True, disable_signals=True)
    rospy.Subscriber(topic, rospy.AnyMsg, on)
    print('subscribed', flush=True)
    deadline = time.time() + 60
    while not done and time.time() < deadline:
        time.sleep(0.05)
    if not done:
        sys.exit('no detections on ' + topic)


if __name__ == '__main__':
    main()
