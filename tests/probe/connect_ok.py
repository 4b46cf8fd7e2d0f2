"""N TCP connects to ADDRESS:PORT that must succeed (a listener is there), then N datagrams.
Usage: connect_ok.py ADDRESS PORT N"""
import socket
import sys

address, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
family = socket.AF_INET6 if ":" in address else socket.AF_INET
for _ in range(count):
    with socket.create_connection((address, port), timeout=5):
        pass
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.sendto(b"hello", (address, port))
