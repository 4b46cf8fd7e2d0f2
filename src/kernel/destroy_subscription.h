// SPDX-License-Identifier: Apache-2.0
// DestroySubscription: one netlink socket subscribed to the sock_diag destroy groups of
// one network namespace (a subscriber hears only the namespace its socket was created
// in), with the watched-port filter attached in the kernel. Decoding is pure
// (destroy_messages.h); this is the I/O around it. Not thread-safe except set_filter().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/socket.h"

namespace port_exporter {

class DestroySubscription {
 public:
  // Subscribes in the calling thread's network namespace. Needs no capability.
  static Result<std::unique_ptr<DestroySubscription>> open(std::string netns);
  // Takes ownership of `fd`, a NETLINK_SOCK_DIAG socket created elsewhere: for another
  // namespace, by a thread that entered it with setns() (the socket stays in the namespace
  // it was created in). Closes `fd` on failure too. Hears nothing until watch().
  static Result<std::unique_ptr<DestroySubscription>> adopt(int fd, std::string netns);

  ~DestroySubscription();
  DestroySubscription(const DestroySubscription&) = delete;
  DestroySubscription& operator=(const DestroySubscription&) = delete;

  // Joins the destroy groups of the protocols with watched ports and leaves the others
  // (while anyone is in a group the kernel builds a notification for every socket of
  // that protocol the namespace frees: ~3.5 us of kernel worker time each), and replaces
  // the kernel filter with one for `watch` (SO_ATTACH_FILTER replaces the old one
  // atomically; the filter changes before the groups, so a joined group is never
  // unfiltered). Returns whether the kernel filters: not when `kernel_filter` is false
  // (the benchmark), nor when it cannot (too many ports, or the attach failed); then no
  // filter stays attached and the caller filters in user space, so nothing is lost. Safe
  // to call from another thread than drain(). Errors: joining a group failed.
  Result<bool> watch(const WatchSet& watch, bool kernel_filter = true);

  struct Batch {
    std::vector<SocketRecord> closed;  // as decoded; not yet classified
    std::uint64_t lost = 0;            // notifications the kernel dropped (buffer full)
    std::vector<std::string> errors;   // malformed datagrams (skipped) and recv errors
  };
  // Reads what is queued now, without blocking, up to kMaxDatagramsPerDrain datagrams so
  // that one busy namespace cannot starve the others. ENOBUFS (the receive buffer
  // overflowed) is counted from the socket's drop counter and reading goes on: the
  // notifications queued after the overrun are intact.
  Batch drain();

  int fd() const { return fd_; }
  const std::string& netns() const { return netns_; }

  static constexpr int kMaxDatagramsPerDrain = 4096;
  // Requested receive buffer: SO_RCVBUFFORCE when permitted, else SO_RCVBUF (capped by
  // net.core.rmem_max). A TCP notification takes ~1.3 KiB of it.
  static constexpr int kReceiveBufferBytes = 8 * 1024 * 1024;

 private:
  DestroySubscription(int fd, std::string netns) : fd_(fd), netns_(std::move(netns)) {}
  std::uint64_t take_new_drops(std::uint64_t enobufs_seen);
  bool attach_filter(const WatchSet& watch);
  void remove_filter();
  Result<bool> set_groups(const WatchSet& watch);

  int fd_;
  std::string netns_;
  std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(std::size_t{16} * 1024);
  std::uint64_t drops_seen_ = 0;  // the socket's drop counter at the last read
  bool congested_ = false;        // ENOBUFS seen and drops may still be growing
};

}  // namespace port_exporter
