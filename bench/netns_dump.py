#!/usr/bin/env python3
"""Cost of one sock_diag dump per network namespace: TCP LISTEN-only vs all states, and UDP
(per family: sock_diag has no UDP request for both).

Creates N namespaces with `ip netns add` (deleted at exit, also on failure), opens one
NETLINK_SOCK_DIAG socket inside each (setns on this thread, then back), and times the
dumps over every namespace. Usage: netns_dump.py N [ROUNDS]. Needs CAP_SYS_ADMIN.
The host's own sockets are whatever runs meanwhile (bench/run.sh adds 10k/100k).
"""
import ctypes, os, socket, struct, subprocess, sys, time

CLONE_NEWNET = 0x40000000
NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
libc = ctypes.CDLL(None, use_errno=True)


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + path)
    finally:
        os.close(fd)


def request(states, seq, family=socket.AF_INET, protocol=socket.IPPROTO_TCP):
    # inet_diag_req_v2: family, protocol, ext, pad, states, sockid (48 bytes)
    body = struct.pack("=BBBBI", family, protocol, 0, 0, states) + bytes(48)
    return struct.pack("=IHHII", 16 + len(body), SOCK_DIAG_BY_FAMILY,
                       NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


def dump(sock, states, seq, family=socket.AF_INET, protocol=socket.IPPROTO_TCP):
    sock.send(request(states, seq, family, protocol))
    n = 0
    while True:
        data = sock.recv(65536)
        off = 0
        while off < len(data):
            length, kind = struct.unpack_from("=IH", data, off)
            if kind == 3:  # NLMSG_DONE
                return n
            if kind == 2:
                raise OSError("NLMSG_ERROR")
            n += 1
            off += (length + 3) & ~3


def main():
    count = int(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    names = ["pe-bench-%d-%d" % (os.getpid(), i) for i in range(count)]
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    socks = []
    try:
        for name in names:
            subprocess.run(["ip", "netns", "add", name], check=True)
            setns("/run/netns/" + name)
            socks.append(socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG))
            libc.setns(home, CLONE_NEWNET)
        kinds = (("listen-only", 1 << 10, socket.AF_INET, socket.IPPROTO_TCP),
                 ("all-states", 0x1ffe, socket.AF_INET, socket.IPPROTO_TCP),
                 ("udp-ipv4", 0xffffffff, socket.AF_INET, socket.IPPROTO_UDP),
                 ("udp-ipv6", 0xffffffff, socket.AF_INET6, socket.IPPROTO_UDP))
        for label, states, family, protocol in kinds:
            best = None
            for r in range(rounds):
                start = time.perf_counter()
                for i, s in enumerate(socks):
                    dump(s, states, r * len(socks) + i + 1, family, protocol)
                elapsed = time.perf_counter() - start
                best = elapsed if best is None else min(best, elapsed)
            print("%-12s %4d namespaces: %8.1f us per namespace (best of %d)" %
                  (label, count, best / count * 1e6, rounds))
    finally:
        for s in socks:
            s.close()
        for name in names:
            subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
