// NetlinkSource: the kernel's socket tables through NETLINK_SOCK_DIAG (what ss uses), with
// the watched ports filtered in the kernel. Encoding the request and decoding the reply
// are pure functions, tested on recorded replies; NetlinkSource is the I/O around them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "kernel/socket_source.h"
#include "model/socket.h"

namespace port_exporter {

// Every socket state ss -a reports (TCP_ESTABLISHED .. TCP_NEW_SYN_RECV). TCP_BOUND_INACTIVE
// (Linux 6.5+: bound, never listened) is left out, as in ss and /proc/net/tcp.
inline constexpr std::uint32_t kDiagAllStates = 0x1ffe;

// One SOCK_DIAG_BY_FAMILY dump request (nlmsghdr + inet_diag_req_v2 + optional
// INET_DIAG_REQ_BYTECODE attribute; no attribute when `bytecode` is empty).
std::vector<std::uint8_t> build_diag_request(Protocol protocol, Family family, std::uint32_t seq,
                                             const std::vector<std::uint8_t>& bytecode);

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

// Not thread-safe: one collection thread owns it. The netlink socket is opened once and
// reused for every dump; it is reopened only after an I/O error.
class NetlinkSource final : public SocketSource {
 public:
  // Opens the socket and runs a small TCP and UDP dump, so an error here means sock_diag
  // (or the inet_diag, tcp_diag, udp_diag modules) is unavailable: use ProcfsSource.
  static Result<std::unique_ptr<NetlinkSource>> open();

  ~NetlinkSource() override;
  NetlinkSource(const NetlinkSource&) = delete;
  NetlinkSource& operator=(const NetlinkSource&) = delete;

  // One dump per protocol with watched ports, filtered by the kernel: TCP of both families
  // in one walk (TCPDIAG_GETSOCK), UDP per family; a kernel that refuses the TCP request
  // gets the two per-family dumps. Past kMaxKernelFilterRuns port runs (or a filter too
  // big for one attribute) the dump is unfiltered and the ports are filtered here.
  Result<std::vector<SocketRecord>> dump(const WatchSet& watch) override;
  std::string_view name() const override { return "netlink"; }
  ErrorSource error_source() const override { return ErrorSource::kNetlink; }

 private:
  struct Reply;

  NetlinkSource() = default;
  Result<std::vector<SocketRecord>> dump_family(Protocol protocol, Family family,
                                                const std::vector<std::uint8_t>& bytecode);
  Result<Reply> exchange(const std::vector<std::uint8_t>& request, std::uint32_t seq,
                         Protocol protocol);
  void close_socket();

  int fd_ = -1;
  std::uint32_t seq_ = 0;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace port_exporter
