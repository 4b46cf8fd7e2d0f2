// SPDX-License-Identifier: Apache-2.0
// Destroy notifications (sock_diag multicast) as socket records: a pure decoder, tested on
// recorded datagrams. What the kernel sends (checked on Linux 6.18): one SOCK_DIAG_BY_FAMILY
// message per freed socket, state CLOSE for TCP (a connected UDP socket stays
// ESTABLISHED), inode 0 and uid 0 whatever the owner (the kernel
// fills neither), INET_DIAG_PROTOCOL as the first attribute, tcp_info after it for TCP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.h"
#include "model/socket.h"

namespace port_exporter {

// The sock_diag destroy groups as the nl_groups bits of a subscription (bit group-1):
// SKNLGRP_INET_TCP_DESTROY .. SKNLGRP_INET6_UDP_DESTROY.
std::uint32_t destroy_group_mask();

// The protocol a destroy group bit (the sender's nl_groups of a received datagram) stands
// for; nothing for another bit.
std::optional<Protocol> destroy_group_protocol(std::uint32_t group_mask);

// Decodes one received datagram (one or more netlink messages). The protocol is the
// message's INET_DIAG_PROTOCOL attribute, else `group_protocol` (the group it came
// through); sockets of another protocol (UDP-Lite), family or an unknown state are
// skipped, as are messages of another type. Errors: a truncated or malformed message,
// naming its byte offset.
Result<std::vector<SocketRecord>> decode_destroy_messages(const std::uint8_t* data, std::size_t len,
                                                          std::optional<Protocol> group_protocol);

}  // namespace port_exporter
