// SPDX-License-Identifier: Apache-2.0
// Builders for SocketRecords in unit tests: readable fixtures without a kernel.
#pragma once

#include <arpa/inet.h>

#include <algorithm>
#include <string>
#include <vector>

#include "model/socket.h"

namespace port_exporter::test {

inline Endpoint endpoint(Family family, const std::string& address, std::uint16_t port) {
  Endpoint e;
  e.port = port;
  inet_pton(family == Family::kIpv4 ? AF_INET : AF_INET6, address.c_str(), e.address.data());
  return e;
}

inline SocketRecord tcp_listener(Family family, const std::string& address, std::uint16_t port,
                                 std::uint64_t inode, std::uint32_t uid = 1000) {
  SocketRecord r;
  r.protocol = Protocol::kTcp;
  r.family = family;
  r.state = TcpState::kListen;
  r.local = endpoint(family, address, port);
  r.remote = endpoint(family, family == Family::kIpv4 ? "0.0.0.0" : "::", 0);
  r.inode = inode;
  r.uid = uid;
  return r;
}

inline SocketRecord udp_bound(Family family, const std::string& address, std::uint16_t port,
                              std::uint64_t inode, std::uint32_t uid = 1000) {
  SocketRecord r = tcp_listener(family, address, port, inode, uid);
  r.protocol = Protocol::kUdp;
  r.state = TcpState::kClose;
  return r;
}

inline SocketRecord connection(Protocol protocol, Family family, TcpState state,
                               std::uint16_t local_port, std::uint16_t remote_port,
                               std::uint64_t inode = 0) {
  const std::string loopback = family == Family::kIpv4 ? "127.0.0.1" : "::1";
  SocketRecord r;
  r.protocol = protocol;
  r.family = family;
  r.state = state;
  r.local = endpoint(family, loopback, local_port);
  r.remote = endpoint(family, loopback, remote_port);
  r.inode = inode;
  return r;
}

// "tcp ipv4 listen 0.0.0.0:49477 -> 0.0.0.0:0 inode 35037 uid 0", sorted: readable diffs.
inline std::vector<std::string> describe(const std::vector<SocketRecord>& records) {
  std::vector<std::string> lines;
  for (const SocketRecord& r : records) {
    lines.push_back(std::string(to_string(r.protocol)) + " " + std::string(to_string(r.family)) +
                    " " + std::string(to_string(r.state)) + " " +
                    format_address(r.family, r.local.address) + ":" + std::to_string(r.local.port) +
                    " -> " + format_address(r.family, r.remote.address) + ":" +
                    std::to_string(r.remote.port) + " inode " + std::to_string(r.inode) + " uid " +
                    std::to_string(r.uid));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace port_exporter::test
