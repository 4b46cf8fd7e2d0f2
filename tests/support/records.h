// Builders for SocketRecords in unit tests: readable fixtures without a kernel.
#pragma once

#include <arpa/inet.h>

#include <string>

#include "socket.h"

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

}  // namespace port_exporter::test
