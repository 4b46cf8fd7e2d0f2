// SPDX-License-Identifier: Apache-2.0
#include "kernel/destroy_messages.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

#include "kernel/diag_codec.h"

namespace port_exporter {
namespace {

Error malformed_notification(const std::string& what, std::size_t offset) {
  return Error{"malformed destroy notification: " + what + " at byte " + std::to_string(offset)};
}

std::optional<Protocol> from_ip_protocol(std::uint8_t protocol) {
  if (protocol == IPPROTO_TCP) return Protocol::kTcp;
  if (protocol == IPPROTO_UDP) return Protocol::kUdp;
  return std::nullopt;
}

// The INET_DIAG_PROTOCOL attribute among `attrs`: the IP protocol number, if present.
Result<std::optional<std::uint8_t>> find_protocol(const std::uint8_t* attrs, std::size_t len,
                                                  std::size_t offset) {
  for (std::size_t at = 0; at + sizeof(nlattr) <= len;) {
    nlattr attr;
    std::memcpy(&attr, attrs + at, sizeof attr);
    if (attr.nla_len < sizeof attr || attr.nla_len > len - at) {
      return malformed_notification("bad attribute length", offset + at);
    }
    if ((attr.nla_type & NLA_TYPE_MASK) == INET_DIAG_PROTOCOL && attr.nla_len > sizeof attr) {
      return std::optional<std::uint8_t>(attrs[at + sizeof attr]);
    }
    at += NLA_ALIGN(attr.nla_len);
  }
  return std::optional<std::uint8_t>();
}

// What one SOCK_DIAG_BY_FAMILY message says, if it is a TCP or UDP socket we can read.
Result<std::optional<SocketRecord>> decode_message(const std::uint8_t* payload, std::size_t len,
                                                   std::size_t offset,
                                                   std::optional<Protocol> group_protocol) {
  inet_diag_msg msg;
  if (len < sizeof msg) return malformed_notification("truncated inet_diag_msg", offset);
  std::memcpy(&msg, payload, sizeof msg);
  const std::size_t attrs_at = NLMSG_ALIGN(sizeof msg);
  auto ip_protocol =
      find_protocol(payload + attrs_at, len > attrs_at ? len - attrs_at : 0, offset + attrs_at);
  if (!ip_protocol) return Error{ip_protocol.error()};
  const std::optional<Protocol> protocol =
      ip_protocol->has_value() ? from_ip_protocol(**ip_protocol) : group_protocol;
  if (!protocol) return std::optional<SocketRecord>();
  return to_record(msg, *protocol);
}

}  // namespace

std::uint32_t destroy_group_mask() {
  std::uint32_t mask = 0;
  for (const int group : {SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET_UDP_DESTROY,
                          SKNLGRP_INET6_TCP_DESTROY, SKNLGRP_INET6_UDP_DESTROY}) {
    mask |= 1U << (group - 1);
  }
  return mask;
}

std::optional<Protocol> destroy_group_protocol(std::uint32_t group_mask) {
  const auto bit = [](int group) { return 1U << (group - 1); };
  if (group_mask == bit(SKNLGRP_INET_TCP_DESTROY) || group_mask == bit(SKNLGRP_INET6_TCP_DESTROY))
    return Protocol::kTcp;
  if (group_mask == bit(SKNLGRP_INET_UDP_DESTROY) || group_mask == bit(SKNLGRP_INET6_UDP_DESTROY))
    return Protocol::kUdp;
  return std::nullopt;
}

Result<std::vector<SocketRecord>> decode_destroy_messages(const std::uint8_t* data, std::size_t len,
                                                          std::optional<Protocol> group_protocol) {
  std::vector<SocketRecord> out;
  for (std::size_t at = 0; at < len;) {
    nlmsghdr header;
    if (len - at < sizeof header) return malformed_notification("truncated nlmsghdr", at);
    std::memcpy(&header, data + at, sizeof header);
    if (header.nlmsg_len < sizeof header || header.nlmsg_len > len - at) {
      return malformed_notification("bad nlmsg_len " + std::to_string(header.nlmsg_len), at);
    }
    if (header.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      auto record = decode_message(data + at + sizeof header, header.nlmsg_len - sizeof header,
                                   at + sizeof header, group_protocol);
      if (!record) return Error{record.error()};
      if (record->has_value()) out.push_back(**record);
    }
    at += NLMSG_ALIGN(header.nlmsg_len);
  }
  return out;
}

}  // namespace port_exporter
