// SPDX-License-Identifier: Apache-2.0
#include "kernel/netlink_channel.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/errno_text.h"

namespace port_exporter {
namespace {

// The kernel always answers; the timeout only bounds a collection if it does not.
constexpr int kReceiveTimeoutSeconds = 5;

void write_frame(std::ostream& out, char kind, const std::uint8_t* data, std::uint32_t size) {
  const std::uint8_t length[4] = {
      static_cast<std::uint8_t>(size), static_cast<std::uint8_t>(size >> 8),
      static_cast<std::uint8_t>(size >> 16), static_cast<std::uint8_t>(size >> 24)};
  out.put(kind);
  out.write(reinterpret_cast<const char*>(length), sizeof length);
  out.write(reinterpret_cast<const char*>(data), size);
}

}  // namespace

Result<int> open_sock_diag_socket() {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return Error{"netlink sock_diag socket: " + errno_text(errno)};
  const timeval timeout{kReceiveTimeoutSeconds, 0};
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
      bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    const int error = errno;
    ::close(fd);
    return Error{"netlink sock_diag socket setup: " + errno_text(error)};
  }
  return fd;
}

Result<std::unique_ptr<SockDiagChannel>> SockDiagChannel::open(Opener opener) {
  std::unique_ptr<SockDiagChannel> channel(new SockDiagChannel(std::move(opener)));
  Result<int> fd = channel->opener_();
  if (!fd) return Error{fd.error()};
  channel->fd_ = *fd;
  return channel;
}

SockDiagChannel::~SockDiagChannel() { reset(); }

void SockDiagChannel::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int SockDiagChannel::send(const std::vector<std::uint8_t>& request) {
  if (fd_ < 0) {
    Result<int> fd = opener_();
    if (!fd) return EBADF;
    fd_ = *fd;
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    const ssize_t sent = sendto(fd_, request.data(), request.size(), 0,
                                reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
    if (sent == static_cast<ssize_t>(request.size())) return 0;
    if (sent >= 0) return EMSGSIZE;
    if (errno != EINTR) return errno;
  }
}

// Datagrams from other senders are dropped; one larger than the buffer is an error
// (MSG_TRUNC reports its real size), never cut.
ssize_t SockDiagChannel::receive(std::vector<std::uint8_t>& buffer) {
  if (fd_ < 0) return -EBADF;
  for (;;) {
    sockaddr_nl sender{};
    iovec io{buffer.data(), buffer.size()};
    msghdr message{};
    message.msg_name = &sender;
    message.msg_namelen = sizeof sender;
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    const ssize_t received = recvmsg(fd_, &message, MSG_TRUNC);
    if (received < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (sender.nl_pid != 0) continue;
    if (static_cast<std::size_t>(received) > buffer.size()) return -EMSGSIZE;
    return received;
  }
}

int RecordingChannel::send(const std::vector<std::uint8_t>& request) {
  write_frame(out_, kFrameRequest, request.data(), static_cast<std::uint32_t>(request.size()));
  return inner_->send(request);
}

ssize_t RecordingChannel::receive(std::vector<std::uint8_t>& buffer) {
  const ssize_t received = inner_->receive(buffer);
  if (received < 0) {
    const std::int32_t error = static_cast<std::int32_t>(-received);
    std::uint8_t bytes[4];
    std::memcpy(bytes, &error, sizeof bytes);
    write_frame(out_, kFrameError, bytes, sizeof bytes);
  } else {
    write_frame(out_, kFrameReply, buffer.data(), static_cast<std::uint32_t>(received));
  }
  return received;
}

}  // namespace port_exporter
