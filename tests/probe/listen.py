"""Listens on TCP and UDP PORT (IPv4 and IPv6 loopback) and accepts connections until killed,
for tests/probe/closed_attempts.test.sh: knocks on this port find a socket.
Usage: listen.py PORT READY_FILE"""
import select
import socket
import sys

port, ready = int(sys.argv[1]), sys.argv[2]
listeners = []
for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    tcp = socket.socket(family, socket.SOCK_STREAM)
    tcp.bind((address, port))
    tcp.listen(64)
    udp = socket.socket(family, socket.SOCK_DGRAM)
    udp.bind((address, port))
    listeners += [tcp, udp]
open(ready, "w").close()
while True:
    for s in select.select(listeners, [], [])[0]:
        if s.type == socket.SOCK_STREAM:
            s.accept()[0].close()
        else:
            s.recv(65536)
