// SPDX-License-Identifier: Apache-2.0
// NetlinkChannel: the bytes of one NETLINK_SOCK_DIAG conversation (a request out, reply
// datagrams in), and nothing else. SockDiagChannel is the kernel's socket behind it; tests
// replay recorded conversations through the same interface, and the fixture recorder wraps
// the real channel in RecordingChannel.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <vector>

#include "base/result.h"

namespace port_exporter {

class NetlinkChannel {
 public:
  virtual ~NetlinkChannel() = default;
  // Sends one whole request: 0 or an errno.
  virtual int send(const std::vector<std::uint8_t>& request) = 0;
  // One datagram from the kernel into `buffer`: its size, or -errno (-EMSGSIZE when it is
  // larger than the buffer: never cut; -ENOBUFS when the kernel dropped part of a reply).
  virtual ssize_t receive(std::vector<std::uint8_t>& buffer) = 0;
  // Abandons a half-read reply, so it can never be mistaken for the next one.
  virtual void reset() = 0;
};

// A NETLINK_SOCK_DIAG socket, created by `open` (in the exporter's own network namespace
// with open_sock_diag_socket, or in another one by a caller that enters it first), used for
// every conversation and re-created after an error.
class SockDiagChannel final : public NetlinkChannel {
 public:
  using Opener = std::function<Result<int>()>;

  // Opens the socket now: an error means sock_diag is unavailable.
  static Result<std::unique_ptr<SockDiagChannel>> open(Opener opener);
  ~SockDiagChannel() override;
  SockDiagChannel(const SockDiagChannel&) = delete;
  SockDiagChannel& operator=(const SockDiagChannel&) = delete;

  int send(const std::vector<std::uint8_t>& request) override;
  ssize_t receive(std::vector<std::uint8_t>& buffer) override;
  void reset() override;

 private:
  explicit SockDiagChannel(Opener opener) : opener_(std::move(opener)) {}
  Opener opener_;
  int fd_ = -1;
};

// socket(AF_NETLINK, NETLINK_SOCK_DIAG) in the calling thread's network namespace, bound,
// with a receive timeout so that a silent kernel cannot stall a collection.
Result<int> open_sock_diag_socket();

// Passes everything through to `inner` and writes each request, datagram and receive error
// to `out` as frames (see tests/fixtures/README.md): what the replay channel reads back.
class RecordingChannel final : public NetlinkChannel {
 public:
  RecordingChannel(std::unique_ptr<NetlinkChannel> inner, std::ostream& out)
      : inner_(std::move(inner)), out_(out) {}
  int send(const std::vector<std::uint8_t>& request) override;
  ssize_t receive(std::vector<std::uint8_t>& buffer) override;
  void reset() override { inner_->reset(); }

 private:
  std::unique_ptr<NetlinkChannel> inner_;
  std::ostream& out_;
};

// A recorded conversation frame: 'Q' request, 'R' reply datagram, 'E' receive error (the
// payload is the errno as 4 bytes); then the payload length (u32, little endian) and bytes.
inline constexpr char kFrameRequest = 'Q';
inline constexpr char kFrameReply = 'R';
inline constexpr char kFrameError = 'E';

}  // namespace port_exporter
