// SPDX-License-Identifier: Apache-2.0
// The sock_diag codec: inet_diag dump requests as bytes and reply datagrams decoded into
// socket records. Pure (no I/O), tested byte for byte on requests and on recorded replies;
// the netlink channel carries the bytes, the netlink source decides what to ask.
#pragma once

#include <linux/inet_diag.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.h"
#include "model/socket.h"

namespace port_exporter {

// Every socket state ss -a reports (TCP_ESTABLISHED .. TCP_NEW_SYN_RECV). TCP_BOUND_INACTIVE
// (Linux 6.5+: bound, never listened) is left out, as in ss and /proc/net/tcp.
inline constexpr std::uint32_t kDiagAllStates = 0x1ffe;
// Only TCP_LISTEN: a per-namespace dump that stays cheap whatever the host holds (the
// kernel's established hash table is shared by all namespaces; listeners have their own).
inline constexpr std::uint32_t kDiagListenOnly = 1u << 10;

// One SOCK_DIAG_BY_FAMILY dump request (nlmsghdr + inet_diag_req_v2 + optional
// INET_DIAG_REQ_BYTECODE attribute; no attribute when `bytecode` is empty) for sockets in
// `states` (a bit per TCP state).
std::vector<std::uint8_t> build_diag_request(Protocol protocol, Family family, std::uint32_t seq,
                                             const std::vector<std::uint8_t>& bytecode,
                                             std::uint32_t states = kDiagAllStates);

// TCP sockets of both families in one dump: the original TCPDIAG_GETSOCK request (struct
// inet_diag_req), which every kernel with inet_diag still serves, dumps as AF_UNSPEC, so the
// kernel walks its TCP tables once; SOCK_DIAG_BY_FAMILY walks them once per family. That
// walk is the whole cost of a collection on a busy host (it reads every socket: ~0.1 us each,
// bound by memory), so this halves it. Same bytecode, same inet_diag_msg replies.
std::vector<std::uint8_t> build_tcp_request_both_families(std::uint32_t seq,
                                                          const std::vector<std::uint8_t>& bytecode,
                                                          std::uint32_t states = kDiagAllStates);

// One inet_diag_msg (the fixed part of every sock_diag socket message: dump replies and
// destroy notifications alike) as a record. `protocol` comes from the caller: inet_diag_msg
// does not carry it. Nothing for a family other than AF_INET/AF_INET6 or a state outside
// the kernel's TCP states.
std::optional<SocketRecord> to_record(const inet_diag_msg& msg, Protocol protocol);

// What one or more received datagrams of a dump reply held.
struct DiagBatch {
  std::vector<SocketRecord> records;
  bool done = false;         // NLMSG_DONE (or an ACK) seen: the reply is complete
  bool interrupted = false;  // NLM_F_DUMP_INTR seen: the tables changed, redo the dump
};

// Decodes netlink messages (whole datagrams, possibly several back to back). `protocol` is
// what the request asked for: inet_diag_msg does not carry it. With `seq`, messages of
// another sequence number (late replies to an abandoned request) are skipped. Errors:
// NLMSG_ERROR (text holds the errno), NLMSG_DONE with a negative status, truncated or
// malformed messages. Sockets of an unknown family or state are skipped.
Result<DiagBatch> decode_diag_messages(const std::uint8_t* data, std::size_t len, Protocol protocol,
                                       std::optional<std::uint32_t> seq = std::nullopt);

}  // namespace port_exporter
