// SPDX-License-Identifier: Apache-2.0
#include "kernel/destroy_subscription.h"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

#include "base/errno_text.h"
#include "kernel/destroy_filter.h"
#include "kernel/destroy_messages.h"

namespace port_exporter {
namespace {

// SO_MEMINFO's sk_drops (SK_MEMINFO_DROPS): every notification the kernel could not queue.
std::optional<std::uint64_t> read_drops(int fd) {
  std::array<std::uint32_t, SK_MEMINFO_VARS> meminfo{};
  socklen_t len = sizeof meminfo;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo.data(), &len) != 0 ||
      len < (SK_MEMINFO_DROPS + 1) * sizeof(std::uint32_t)) {
    return std::nullopt;
  }
  return meminfo[SK_MEMINFO_DROPS];
}

}  // namespace

Result<std::unique_ptr<DestroySubscription>> DestroySubscription::open(std::string netns) {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return Error{"destroy notifications: netlink sock_diag socket: " + errno_text(errno)};
  return adopt(fd, std::move(netns));
}

Result<std::unique_ptr<DestroySubscription>> DestroySubscription::adopt(int fd, std::string netns) {
  std::unique_ptr<DestroySubscription> subscription(new DestroySubscription(fd, std::move(netns)));
  const int size = kReceiveBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);  // capped, never fails
  }
  sockaddr_nl local{};  // no group yet: watch() joins those it needs
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    const int error = errno;
    return Error{"destroy notifications (netns " + subscription->netns() +
                 "): bind: " + errno_text(error)};
  }
  return subscription;
}

DestroySubscription::~DestroySubscription() { ::close(fd_); }

Result<bool> DestroySubscription::watch(const WatchSet& watch, bool kernel_filter) {
  bool filtered = false;
  if (kernel_filter) {
    filtered = attach_filter(watch);
  } else {
    remove_filter();
  }
  auto joined = set_groups(watch);
  if (!joined) return Error{joined.error()};
  return filtered;
}

Result<bool> DestroySubscription::set_groups(const WatchSet& watch) {
  for (const int group : {SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET_UDP_DESTROY,
                          SKNLGRP_INET6_TCP_DESTROY, SKNLGRP_INET6_UDP_DESTROY}) {
    const std::optional<Protocol> protocol = destroy_group_protocol(1U << (group - 1));
    const bool wanted = protocol && !watch.ports(*protocol).empty();
    // Leaving a group one is not in, or joining one twice, succeeds.
    const int option = wanted ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;
    if (setsockopt(fd_, SOL_NETLINK, option, &group, sizeof group) != 0) {
      return Error{"destroy notifications (netns " + netns_ + "): " + (wanted ? "join" : "leave") +
                   " group " + std::to_string(group) + ": " + errno_text(errno)};
    }
  }
  return true;
}

bool DestroySubscription::attach_filter(const WatchSet& watch) {
  const std::optional<std::vector<sock_filter>> program = build_destroy_filter(watch);
  if (program) {
    sock_fprog fprog{static_cast<unsigned short>(program->size()),
                     const_cast<sock_filter*>(program->data())};
    if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) == 0) return true;
  }
  remove_filter();
  return false;
}

void DestroySubscription::remove_filter() {
  int unused = 0;
  setsockopt(fd_, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused);  // ENOENT: none
}

std::uint64_t DestroySubscription::take_new_drops(std::uint64_t enobufs_seen) {
  const std::optional<std::uint64_t> drops = read_drops(fd_);
  if (!drops) {  // no SO_MEMINFO: each overrun lost at least one
    congested_ = false;
    return enobufs_seen;
  }
  // 32-bit counter in the kernel: unsigned difference survives a wrap.
  const std::uint64_t lost = static_cast<std::uint32_t>(*drops - drops_seen_);
  drops_seen_ = *drops;
  congested_ = lost > 0;  // keep checking until the kernel stops dropping
  return lost;
}

DestroySubscription::Batch DestroySubscription::drain() {
  Batch batch;
  std::uint64_t enobufs = 0;
  for (int i = 0; i < kMaxDatagramsPerDrain; ++i) {
    sockaddr_nl sender{};
    socklen_t sender_len = sizeof sender;
    const ssize_t n = recvfrom(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT,
                               reinterpret_cast<sockaddr*>(&sender), &sender_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        ++enobufs;
        congested_ = true;
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        batch.errors.push_back("recv: " + errno_text(errno));
      }
      break;
    }
    if (sender.nl_pid != 0) continue;  // only the kernel sends notifications
    auto decoded = decode_destroy_messages(buffer_.data(), static_cast<std::size_t>(n),
                                           destroy_group_protocol(sender.nl_groups));
    if (!decoded) {
      batch.errors.push_back(decoded.error());
      continue;
    }
    batch.closed.insert(batch.closed.end(), decoded->begin(), decoded->end());
  }
  if (congested_) batch.lost = take_new_drops(enobufs);
  return batch;
}

}  // namespace port_exporter
