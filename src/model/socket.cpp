// SPDX-License-Identifier: Apache-2.0
#include "model/socket.h"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace port_exporter {

std::string_view to_string(Protocol p) { return p == Protocol::kTcp ? "tcp" : "udp"; }

std::string_view to_string(Family f) { return f == Family::kIpv4 ? "ipv4" : "ipv6"; }

std::string_view to_string(TcpState s) {
  switch (s) {
    case TcpState::kEstablished: return "established";
    case TcpState::kSynSent: return "syn_sent";
    case TcpState::kSynRecv: return "syn_recv";
    case TcpState::kFinWait1: return "fin_wait1";
    case TcpState::kFinWait2: return "fin_wait2";
    case TcpState::kTimeWait: return "time_wait";
    case TcpState::kClose: return "close";
    case TcpState::kCloseWait: return "close_wait";
    case TcpState::kLastAck: return "last_ack";
    case TcpState::kListen: return "listen";
    case TcpState::kClosing: return "closing";
    case TcpState::kNewSynRecv: return "syn_recv";
  }
  return "unknown";
}

std::string format_address(Family f, const std::array<std::uint8_t, 16>& address) {
  char text[INET6_ADDRSTRLEN] = {};
  const int af = f == Family::kIpv4 ? AF_INET : AF_INET6;
  if (inet_ntop(af, address.data(), text, sizeof text) == nullptr) return "invalid";
  return text;
}

}  // namespace port_exporter
