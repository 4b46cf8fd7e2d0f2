// SPDX-License-Identifier: Apache-2.0
#include "kernel/destroy_filter.h"

#include <linux/inet_diag.h>
#include <netinet/in.h>

namespace port_exporter {
namespace {

using Program = std::vector<sock_filter>;

sock_filter statement(std::uint16_t code, std::uint32_t k) { return BPF_STMT(code, k); }

sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
  return BPF_JUMP(code, k, jt, jf);
}

// Keeps the message when the halfword at `offset` equals one of `ports`.
void keep_if_port_in(Program& out, std::uint32_t offset, const std::vector<std::uint16_t>& ports) {
  out.push_back(statement(BPF_LD | BPF_H | BPF_ABS, offset));
  for (const std::uint16_t port : ports) {
    out.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1));
    out.push_back(statement(BPF_RET | BPF_K, kFilterKeep));
  }
}

// sport or dport in `ports`, else drop.
Program port_block(const std::vector<std::uint16_t>& ports) {
  Program out;
  if (!ports.empty()) {
    keep_if_port_in(out, kDestroySportOffset, ports);
    keep_if_port_in(out, kDestroyDportOffset, ports);
  }
  out.push_back(statement(BPF_RET | BPF_K, kFilterDrop));
  return out;
}

}  // namespace

std::optional<std::vector<sock_filter>> build_destroy_filter(const WatchSet& watch) {
  const Program tcp = port_block(watch.tcp);
  const Program udp = port_block(watch.udp);
  // The attribute header is in host byte order; BPF_H loads big endian.
  const std::uint32_t protocol_attr_type = ntohs(INET_DIAG_PROTOCOL);
  Program out = {
      statement(BPF_LD | BPF_W | BPF_LEN, 0),
      jump(BPF_JMP | BPF_JGE | BPF_K, kDestroyMinLength, 1, 0),
      statement(BPF_RET | BPF_K, kFilterKeep),  // too short to judge: user space decides
      statement(BPF_LD | BPF_H | BPF_ABS, kDestroyFirstAttrTypeOffset),
      jump(BPF_JMP | BPF_JEQ | BPF_K, protocol_attr_type, 1, 0),
      statement(BPF_RET | BPF_K, kFilterKeep),  // another layout: user space decides
      statement(BPF_LD | BPF_B | BPF_ABS, kDestroyProtocolOffset),
      jump(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 1),
      statement(BPF_JMP | BPF_JA, 3),  // to the TCP block
      jump(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 1),
      statement(BPF_JMP | BPF_JA, static_cast<std::uint32_t>(1 + tcp.size())),  // UDP block
      statement(BPF_RET | BPF_K, kFilterDrop),  // UDP-Lite and anything else
  };
  out.insert(out.end(), tcp.begin(), tcp.end());
  out.insert(out.end(), udp.begin(), udp.end());
  if (out.size() > kMaxFilterInstructions) return std::nullopt;
  return out;
}

}  // namespace port_exporter
