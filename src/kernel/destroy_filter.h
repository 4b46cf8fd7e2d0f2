// SPDX-License-Identifier: Apache-2.0
// Kernel-side filter for sock_diag destroy notifications: a classic BPF socket filter
// (SO_ATTACH_FILTER) that passes only messages about watched ports, built as plain data.
// The multicast groups have no port filter of their own: without this, every socket the
// host frees wakes the reader.
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "model/socket.h"

namespace port_exporter {

// Offsets in one destroy notification (what the kernel's inet_diag_handler_get_info
// writes): nlmsghdr (16 bytes), inet_diag_msg (72 bytes: family, state, timer, retrans,
// then id.idiag_sport at +4 and id.idiag_dport at +6, both big endian), then the
// attributes, of which INET_DIAG_PROTOCOL (a u8) is always the first.
inline constexpr std::uint32_t kDestroySportOffset = 16 + 4;
inline constexpr std::uint32_t kDestroyDportOffset = 16 + 6;
inline constexpr std::uint32_t kDestroyFirstAttrTypeOffset = 16 + 72 + 2;
inline constexpr std::uint32_t kDestroyProtocolOffset = 16 + 72 + 4;
inline constexpr std::uint32_t kDestroyMinLength = kDestroyProtocolOffset + 1;

// What the filter returns: keep the whole message, or drop it.
inline constexpr std::uint32_t kFilterKeep = 0xffffffff;
inline constexpr std::uint32_t kFilterDrop = 0;

// The kernel's limit on a classic BPF program (BPF_MAXINSNS).
inline constexpr std::size_t kMaxFilterInstructions = 4096;

// A program keeping a TCP message whose sport or dport is in `watch.tcp`, a UDP one whose
// sport or dport is in `watch.udp`, and, so that a kernel with another layout loses
// nothing, any message too short or without INET_DIAG_PROTOCOL first (user space
// classifies again). Other protocols are dropped. Ports are compared one by one, each
// test skipping over its own `ret`, so no jump exceeds the 8-bit offsets.
//
// Nothing when the program would exceed kMaxFilterInstructions (~1000 ports per protocol):
// the caller then filters in user space.
std::optional<std::vector<sock_filter>> build_destroy_filter(const WatchSet& watch);

}  // namespace port_exporter
