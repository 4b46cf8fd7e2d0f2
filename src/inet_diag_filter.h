// Kernel-side socket filter: the inet_diag bytecode (INET_DIAG_REQ_BYTECODE) that makes a
// sock_diag dump return only sockets on watched ports, built as plain data like ss does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace port_exporter {

// The largest bytecode one netlink attribute can carry (nla_len is 16 bits, minus the
// 4-byte attribute header).
inline constexpr std::size_t kMaxFilterBytes = 65535 - 4;

// Bytecode accepting a socket whose local port (sport) or remote port (dport) is in
// `ports`, in host byte order as the kernel compares them. Runs of consecutive ports become
// one range test (S_GE/S_LE); single ports use S_EQ/D_EQ (Linux 4.16+). `ports` need not be
// sorted; duplicates and port 0 are ignored.
//
// Returns an empty vector when there is nothing to filter on (no ports) or when the
// program would not fit in kMaxFilterBytes: the caller then dumps unfiltered and filters in
// user space.
std::vector<std::uint8_t> build_port_filter(const std::vector<std::uint16_t>& ports);

}  // namespace port_exporter
