"""Knocks on a closed door: N TCP connect()s (each refused by a RST) or N UDP datagrams to
ADDRESS:PORT, for tests/probe/closed_attempts.test.sh. Fails if a connect is not refused,
so a count of N is exactly N SYNs that found no socket.
Usage: knock.py tcp|udp ADDRESS PORT N"""
import socket
import sys

protocol, address, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
family = socket.AF_INET6 if ":" in address else socket.AF_INET
for _ in range(count):
    if protocol == "tcp":
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            try:
                s.connect((address, port))
            except ConnectionRefusedError:
                continue
            sys.exit(f"knock.py: connect to {address}:{port} was not refused")
    else:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.sendto(b"knock", (address, port))
