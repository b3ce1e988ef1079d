#!/usr/bin/env python3
"""Writes msgs/interfaces.txt: the ROS 2 type descriptions (REP 2011) of
every interface osr's ROS 2 transport uses, read from an installed ROS 2
(share/<pkg>/<msg|srv>/<Name>.json, as rosidl writes them), in the compact
form that msgs/typehash.go parses. Run after `source /opt/ros/jazzy/setup.bash`:
    python3 scripts/ros2_interfaces.py > msgs/interfaces.txt
"""
import json
import os
import sys

TOP = [
    'sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage',
    'diagnostic_msgs/msg/DiagnosticArray', 'vision_msgs/msg/LabelInfo', 'vision_msgs/msg/Detection2DArray',
    'rmw_dds_common/msg/ParticipantEntitiesInfo', 'rcl_interfaces/msg/Log',
    'rcl_interfaces/msg/ParameterEvent', 'rosgraph_msgs/msg/Clock',
    'rcl_interfaces/srv/ListParameters', 'rcl_interfaces/srv/GetParameters',
    'rcl_interfaces/srv/SetParameters', 'rcl_interfaces/srv/SetParametersAtomically',
    'rcl_interfaces/srv/DescribeParameters', 'rcl_interfaces/srv/GetParameterTypes',
]
BASIC = {2: 'int8', 3: 'uint8', 4: 'int16', 5: 'uint16', 6: 'int32', 7: 'uint32',
         8: 'int64', 9: 'uint64', 10: 'float32', 11: 'float64', 12: 'longdouble',
         13: 'char', 14: 'wchar', 15: 'bool', 16: 'byte', 17: 'string', 18: 'wstring',
         19: 'string', 20: 'wstring', 21: 'string', 22: 'wstring', 1: ''}


def spec(t):
    tid, cap, scap, nested = t['type_id'], t['capacity'], t['string_capacity'], t['nested_type_name']
    kind, base = divmod(tid, 48)
    name = nested if base == 1 else BASIC[base]
    if scap:
        name += '<=%d' % scap
    return name + ['', '[%d]' % cap, '[<=%d]' % cap, '[]'][kind]


prefix = os.environ.get('AMENT_PREFIX_PATH', '/opt/ros/jazzy').split(':')[0]
types = {}
for top in TOP:
    with open(os.path.join(prefix, 'share', top + '.json')) as f:
        msg = json.load(f)['type_description_msg']
    for td in [msg['type_description']] + msg['referenced_type_descriptions']:
        types[td['type_name']] = td
print('# ROS 2 type descriptions (REP 2011) of the interfaces osr uses, written by')
print('# scripts/ros2_interfaces.py from ROS 2 Jazzy. One type per paragraph: its name,')
print('# then one field a line, "type name". Types: .msg names, [] sequence,')
print('# [N] array, [<=N] bounded sequence, string<=N bounded string.')
for name in sorted(types):
    print()
    print(name)
    for fd in types[name]['fields']:
        print('  %s %s' % (spec(fd['type']), fd['name']))
