#!/usr/bin/env python3
"""A camera publisher that disappears mid-message (standard library only).

Usage: cut_publisher.py TOPIC

Registers TOPIC (sensor_msgs/Image) with the master at $ROS_MASTER_URI,
serves the XML-RPC requestTopic call, accepts one subscriber's TCPROS
connection, answers its header, sends the length prefix and the first half
of a 480x360 rgb8 image, then closes the socket and exits without
unregistering, as a crashed camera driver would.
"""
import os
import socket
import struct
import sys
import threading
import xmlrpc.client
import xmlrpc.server

TYPE = "sensor_msgs/Image"
MD5 = "060021388200f6f0f447d0fcd9c64743"
CALLER = "/cut_publisher"


def string(s):
    b = s.encode()
    return struct.pack("<I", len(b)) + b


def recv(conn, n):
    out = b""
    while len(out) < n:
        chunk = conn.recv(n - len(out))
        if not chunk:
            raise EOFError("subscriber closed the connection")
        out += chunk
    return out


def main():
    topic = sys.argv[1]
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(1)
    port = tcp.getsockname()[1]

    class Slave:
        def requestTopic(self, caller_id, t, protocols):
            return [1, "", ["TCPROS", "127.0.0.1", port]]

        def getPid(self, caller_id):
            return [1, "", os.getpid()]

    srv = xmlrpc.server.SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
    srv.register_instance(Slave())
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    api = "http://127.0.0.1:%d/" % srv.server_address[1]
    master = xmlrpc.client.ServerProxy(os.environ["ROS_MASTER_URI"])
    code, msg, _ = master.registerPublisher(CALLER, topic, TYPE, api)
    if code != 1:
        sys.exit("registerPublisher: " + msg)
    print("registered", flush=True)

    tcp.settimeout(30)
    conn, _ = tcp.accept()
    conn.settimeout(10)
    n = struct.unpack("<I", recv(conn, 4))[0]
    recv(conn, n)  # the subscriber's connection header
    fields = [("callerid", CALLER), ("topic", topic), ("type", TYPE), ("md5sum", MD5), ("latching", "0")]
    hdr = b"".join(string("%s=%s" % f) for f in fields)
    conn.sendall(struct.pack("<I", len(hdr)) + hdr)

    w, h = 480, 360
    body = struct.pack("<III", 1, 100, 0) + string("camvid_cam")
    body += struct.pack("<II", h, w) + string("rgb8") + struct.pack("<BI", 0, 3 * w)
    body += struct.pack("<I", 3 * w * h) + bytes(3 * w * h)
    conn.sendall(struct.pack("<I", len(body)) + body[: len(body) // 2])
    conn.close()
    print("cut after %d of %d bytes" % (len(body) // 2, len(body)), flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
