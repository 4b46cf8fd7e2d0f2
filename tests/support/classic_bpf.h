// SPDX-License-Identifier: Apache-2.0
// A classic BPF interpreter for the instructions build_destroy_filter emits (ld/ldh/ldb
// abs, ld len, jeq/jge k, ja, ret k), with the kernel's rules: a load past the end of the
// packet ends the program with 0 (drop). Lets unit tests run the filter on recorded
// notifications; the integration tests check the kernel agrees.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

namespace port_exporter::test {

inline std::uint32_t run_classic_bpf(const std::vector<sock_filter>& program,
                                     const std::vector<std::uint8_t>& packet) {
  std::uint32_t a = 0;
  const auto load = [&packet](std::uint32_t at,
                              std::uint32_t size) -> std::optional<std::uint32_t> {
    if (at + size > packet.size()) return std::nullopt;
    std::uint32_t value = 0;
    for (std::uint32_t i = 0; i < size; ++i) value = value << 8 | packet[at + i];  // big endian
    return value;
  };
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& op = program[pc];
    switch (op.code) {
      case BPF_LD | BPF_W | BPF_LEN: a = static_cast<std::uint32_t>(packet.size()); break;
      case BPF_LD | BPF_W | BPF_ABS:
      case BPF_LD | BPF_H | BPF_ABS:
      case BPF_LD | BPF_B | BPF_ABS: {
        const std::uint32_t size = BPF_SIZE(op.code) == BPF_W   ? 4
                                   : BPF_SIZE(op.code) == BPF_H ? 2
                                                                : 1;
        const std::optional<std::uint32_t> value = load(op.k, size);
        if (!value) return 0;
        a = *value;
        break;
      }
      case BPF_JMP | BPF_JEQ | BPF_K: pc += a == op.k ? op.jt : op.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += a >= op.k ? op.jt : op.jf; break;
      case BPF_JMP | BPF_JA: pc += op.k; break;
      case BPF_RET | BPF_K: return op.k;
      default: throw std::runtime_error("instruction not interpreted: " + std::to_string(op.code));
    }
  }
  throw std::runtime_error("program ran off its end");
}

}  // namespace port_exporter::test
