// SPDX-License-Identifier: Apache-2.0
#include "kernel/diag_codec.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "base/errno_text.h"

namespace port_exporter {
namespace {

template <typename T>
void append_struct(std::vector<std::uint8_t>& out, const T& value) {
  std::uint8_t bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  out.insert(out.end(), bytes, bytes + sizeof value);
}

Error malformed_reply(const std::string& what, std::size_t offset) {
  return Error{"malformed netlink reply: " + what + " at byte " + std::to_string(offset)};
}

// A leading `int` status, as NLMSG_DONE and NLMSG_ERROR carry.
std::optional<int> read_status(const std::uint8_t* payload, std::size_t len) {
  int status = 0;
  if (len < sizeof status) return std::nullopt;
  std::memcpy(&status, payload, sizeof status);
  return status;
}

// The errno of a negative status. INT_MIN has no positive counterpart (negating it is
// undefined; found by the netlink fuzz target): a corrupt reply, said as such.
std::string status_text(int status) {
  if (status == std::numeric_limits<int>::min()) return "invalid status " + std::to_string(status);
  return errno_text(-status);
}

// Adds what one message says to `batch`; an error for a failed or malformed reply.
std::optional<Error> decode_message(const nlmsghdr& header, const std::uint8_t* payload,
                                    std::size_t len, std::size_t offset, Protocol protocol,
                                    DiagBatch& batch) {
  switch (header.nlmsg_type) {
    case NLMSG_DONE: {
      // The status is optional in old kernels; a negative one means the dump failed.
      const std::optional<int> status = read_status(payload, len);
      if (status && *status < 0) return Error{"netlink dump failed: " + status_text(*status)};
      batch.done = true;
      return std::nullopt;
    }
    case NLMSG_ERROR: {
      const std::optional<int> status = read_status(payload, len);
      if (!status) return malformed_reply("truncated NLMSG_ERROR", offset);
      if (*status == 0) {  // an ACK: nothing more follows
        batch.done = true;
        return std::nullopt;
      }
      return Error{"netlink error reply: " + status_text(*status)};
    }
    case NLMSG_OVERRUN: return Error{"netlink reply overrun: data was lost"};
    case SOCK_DIAG_BY_FAMILY:
    case TCPDIAG_GETSOCK: {  // the one-walk TCP dump (build_tcp_request_both_families)
      inet_diag_msg msg;
      if (len < sizeof msg) return malformed_reply("truncated inet_diag_msg", offset);
      std::memcpy(&msg, payload, sizeof msg);
      if (std::optional<SocketRecord> record = to_record(msg, protocol)) {
        batch.records.push_back(*record);
      }
      return std::nullopt;
    }
    default:  // NLMSG_NOOP and anything newer: nothing for us
      return std::nullopt;
  }
}

inet_diag_req_v2 by_family_request(Protocol protocol, Family family, std::uint32_t states) {
  inet_diag_req_v2 request{};
  request.sdiag_family = family == Family::kIpv4 ? AF_INET : AF_INET6;
  request.sdiag_protocol = protocol == Protocol::kTcp ? IPPROTO_TCP : IPPROTO_UDP;
  request.idiag_states = states;
  return request;
}

// nlmsghdr + `request` + an INET_DIAG_REQ_BYTECODE attribute (none when `bytecode` is empty).
template <typename Request>
std::vector<std::uint8_t> build_request(std::uint16_t type, const Request& request,
                                        std::uint32_t seq,
                                        const std::vector<std::uint8_t>& bytecode) {
  nlattr attribute{};
  attribute.nla_type = INET_DIAG_REQ_BYTECODE;
  attribute.nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + bytecode.size());
  const std::size_t attribute_size = bytecode.empty() ? 0 : NLA_ALIGN(attribute.nla_len);

  nlmsghdr header{};
  header.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(sizeof request) + attribute_size);
  header.nlmsg_type = type;
  header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  header.nlmsg_seq = seq;

  std::vector<std::uint8_t> out;
  out.reserve(header.nlmsg_len);
  append_struct(out, header);
  append_struct(out, request);
  if (!bytecode.empty()) {
    append_struct(out, attribute);
    out.insert(out.end(), bytecode.begin(), bytecode.end());
    out.resize(NLMSG_LENGTH(sizeof request) + attribute_size, 0);
  }
  return out;
}

}  // namespace

std::optional<SocketRecord> to_record(const inet_diag_msg& msg, Protocol protocol) {
  SocketRecord record;
  record.protocol = protocol;
  std::size_t address_size = 0;
  if (msg.idiag_family == AF_INET) {
    record.family = Family::kIpv4;
    address_size = 4;
  } else if (msg.idiag_family == AF_INET6) {
    record.family = Family::kIpv6;
    address_size = 16;
  } else {
    return std::nullopt;
  }
  const std::optional<TcpState> state = tcp_state_from(msg.idiag_state);
  if (!state) return std::nullopt;
  record.state = *state;
  record.local.port = ntohs(msg.id.idiag_sport);
  record.remote.port = ntohs(msg.id.idiag_dport);
  std::memcpy(record.local.address.data(), msg.id.idiag_src, address_size);
  std::memcpy(record.remote.address.data(), msg.id.idiag_dst, address_size);
  record.inode = msg.idiag_inode;
  record.uid = msg.idiag_uid;
  return record;
}

std::vector<std::uint8_t> build_diag_request(Protocol protocol, Family family, std::uint32_t seq,
                                             const std::vector<std::uint8_t>& bytecode,
                                             std::uint32_t states) {
  return build_request(SOCK_DIAG_BY_FAMILY, by_family_request(protocol, family, states), seq,
                       bytecode);
}

std::vector<std::uint8_t> build_tcp_request_both_families(std::uint32_t seq,
                                                          const std::vector<std::uint8_t>& bytecode,
                                                          std::uint32_t states) {
  inet_diag_req request{};
  request.idiag_family = AF_UNSPEC;
  request.idiag_states = states;
  return build_request(TCPDIAG_GETSOCK, request, seq, bytecode);
}

Result<DiagBatch> decode_diag_messages(const std::uint8_t* data, std::size_t len, Protocol protocol,
                                       std::optional<std::uint32_t> seq) {
  DiagBatch batch;
  std::size_t offset = 0;
  while (offset < len && !batch.done) {
    nlmsghdr header;
    const std::size_t left = len - offset;
    if (left < sizeof header) return malformed_reply("truncated message header", offset);
    std::memcpy(&header, data + offset, sizeof header);
    if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > left) {
      return malformed_reply("message length " + std::to_string(header.nlmsg_len) + " with " +
                                 std::to_string(left) + " bytes left",
                             offset);
    }
    const std::size_t message_offset = offset;
    offset += std::min<std::size_t>(NLMSG_ALIGN(header.nlmsg_len), left);
    if (seq && header.nlmsg_seq != *seq) continue;
    if ((header.nlmsg_flags & NLM_F_DUMP_INTR) != 0) batch.interrupted = true;
    if (std::optional<Error> error =
            decode_message(header, data + message_offset + NLMSG_HDRLEN,
                           header.nlmsg_len - NLMSG_HDRLEN, message_offset, protocol, batch)) {
      return *error;
    }
  }
  return batch;
}

}  // namespace port_exporter
