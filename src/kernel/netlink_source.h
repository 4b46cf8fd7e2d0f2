// SPDX-License-Identifier: Apache-2.0
// NetlinkSource: the kernel's socket tables through NETLINK_SOCK_DIAG (what ss uses), with
// the watched ports filtered in the kernel. The strategy only: which dumps to ask for, the
// fallback when one is refused, the retry when a reply is inconsistent, and the user-space
// filter past the kernel filter's size. The bytes come from diag_codec, the I/O from a
// NetlinkChannel (the kernel's socket, or a recorded conversation in tests).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "kernel/diag_codec.h"
#include "kernel/netlink_channel.h"
#include "kernel/socket_source.h"
#include "model/socket.h"

namespace port_exporter {

// Not thread-safe: one collection thread owns it.
class NetlinkSource final : public SocketSource {
 public:
  // Over a sock_diag socket in the exporter's own network namespace.
  static Result<std::unique_ptr<NetlinkSource>> open();
  // Over `channel`. Runs a small TCP and UDP probe dump, so an error here means sock_diag
  // (or the inet_diag, tcp_diag, udp_diag modules) cannot serve us: use ProcfsSource.
  static Result<std::unique_ptr<NetlinkSource>> open(std::unique_ptr<NetlinkChannel> channel);

  // One dump per protocol with watched ports, filtered by the kernel: TCP of both families
  // in one walk (TCPDIAG_GETSOCK), UDP per family; a kernel that refuses the TCP request
  // gets the two per-family dumps. Past kMaxKernelFilterRuns port runs (or a filter too
  // big for one attribute) the dump is unfiltered and the ports are filtered here.
  Result<std::vector<SocketRecord>> dump(const WatchSet& watch) override;
  // Which TCP states the dumps ask for (default every state ss -a shows); UDP is always
  // dumped whole. kDiagListenOnly: the per-namespace sweep's cheap listener dump.
  void set_tcp_states(std::uint32_t states) { tcp_states_ = states; }
  std::string_view name() const override { return "netlink"; }
  ErrorSource error_source() const override { return ErrorSource::kNetlink; }

 private:
  struct Reply;

  explicit NetlinkSource(std::unique_ptr<NetlinkChannel> channel);
  Result<std::vector<SocketRecord>> dump_family(Protocol protocol, Family family,
                                                const std::vector<std::uint8_t>& bytecode);
  // Sends what `build(seq)` returns and reads its whole reply, redone while inconsistent.
  template <typename Build>
  Result<std::vector<SocketRecord>> until_consistent(const Build& build, Protocol protocol,
                                                     const std::string& name);
  Result<Reply> exchange(const std::vector<std::uint8_t>& request, std::uint32_t seq,
                         Protocol protocol);

  std::unique_ptr<NetlinkChannel> channel_;
  std::uint32_t seq_ = 0;
  std::uint32_t tcp_states_ = kDiagAllStates;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace port_exporter
