// SPDX-License-Identifier: Apache-2.0
#include "kernel/netlink_source.h"

#include <cerrno>
#include <string>

#include "base/errno_text.h"
#include "kernel/inet_diag_filter.h"

namespace port_exporter {
namespace {

// Dump datagrams are at most 32 KiB (the kernel caps its dump allocation there).
constexpr std::size_t kReceiveBufferSize = std::size_t{64} * 1024;
// NLM_F_DUMP_INTR or ENOBUFS: redo the dump, but not forever.
constexpr int kMaxAttempts = 3;

std::string dump_name(Protocol protocol, Family family) {
  return "sock_diag " + std::string(to_string(protocol)) + "/" + std::string(to_string(family)) +
         " dump: ";
}

}  // namespace

struct NetlinkSource::Reply {
  DiagBatch batch;
  bool retry = false;  // NLM_F_DUMP_INTR or ENOBUFS: the reply is incomplete or inconsistent
};

NetlinkSource::NetlinkSource(std::unique_ptr<NetlinkChannel> channel)
    : channel_(std::move(channel)), buffer_(kReceiveBufferSize) {}

Result<std::unique_ptr<NetlinkSource>> NetlinkSource::open() {
  Result<std::unique_ptr<SockDiagChannel>> channel = SockDiagChannel::open(open_sock_diag_socket);
  if (!channel) return Error{channel.error()};
  return open(std::move(channel).value());
}

Result<std::unique_ptr<NetlinkSource>> NetlinkSource::open(
    std::unique_ptr<NetlinkChannel> channel) {
  std::unique_ptr<NetlinkSource> source(new NetlinkSource(std::move(channel)));
  // A filtered dump per protocol that asks for no socket state, so the kernel walks none of
  // its tables (a real dump would read every TCP socket: on a busy host, most of a --once
  // run). It still loads the diag modules and audits our bytecode (S_EQ/D_EQ need Linux
  // 4.16): an error here means sock_diag cannot serve us.
  const std::vector<std::uint8_t> probe_filter = build_port_filter({1});
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    Result<std::vector<SocketRecord>> probe = source->until_consistent(
        [protocol, &probe_filter](std::uint32_t seq) {
          return build_diag_request(protocol, Family::kIpv4, seq, probe_filter, /*states=*/0);
        },
        protocol, dump_name(protocol, Family::kIpv4));
    if (!probe) return Error{"netlink sock_diag unavailable: " + probe.error()};
  }
  return Result<std::unique_ptr<NetlinkSource>>(std::move(source));
}

Result<std::vector<SocketRecord>> NetlinkSource::dump(const WatchSet& watch) {
  std::vector<SocketRecord> records;
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    const std::vector<std::uint16_t>& ports = watch.ports(protocol);
    if (ports.empty()) continue;
    const std::vector<std::uint8_t> bytecode =
        filter_in_kernel(ports) ? build_port_filter(ports) : std::vector<std::uint8_t>{};
    const auto keep = [&](const std::vector<SocketRecord>& part) {
      for (const SocketRecord& record : part) {
        if (!bytecode.empty() || watch.watches(record)) records.push_back(record);
      }
    };
    if (protocol == Protocol::kTcp) {
      Result<std::vector<SocketRecord>> both = until_consistent(
          [this, &bytecode](std::uint32_t seq) {
            return build_tcp_request_both_families(seq, bytecode, tcp_states_);
          },
          Protocol::kTcp, "sock_diag tcp dump: ");
      if (both) {
        keep(*both);
        continue;
      }
      // Not served (no kernel we know of, but it is a legacy request): the per-family dumps
      // give the same sockets, or the error to report.
    }
    for (const Family family : {Family::kIpv4, Family::kIpv6}) {
      Result<std::vector<SocketRecord>> part = dump_family(protocol, family, bytecode);
      if (!part) return Error{part.error()};
      keep(*part);
    }
  }
  return records;
}

Result<std::vector<SocketRecord>> NetlinkSource::dump_family(
    Protocol protocol, Family family, const std::vector<std::uint8_t>& bytecode) {
  return until_consistent(
      [this, protocol, family, &bytecode](std::uint32_t seq) {
        return build_diag_request(protocol, family, seq, bytecode,
                                  protocol == Protocol::kTcp ? tcp_states_ : kDiagAllStates);
      },
      protocol, dump_name(protocol, family));
}

// Repeats one request and its whole reply while the reply says to retry (NLM_F_DUMP_INTR
// or ENOBUFS: incomplete or inconsistent), but not forever.
template <typename Build>
Result<std::vector<SocketRecord>> NetlinkSource::until_consistent(const Build& build,
                                                                  Protocol protocol,
                                                                  const std::string& name) {
  for (int i = 0; i < kMaxAttempts; ++i) {
    const std::uint32_t seq = ++seq_;
    Result<Reply> reply = exchange(build(seq), seq, protocol);
    if (!reply) return Error{name + reply.error()};
    if (!reply->retry) return std::move(reply.value().batch.records);
  }
  return Error{name + "interrupted " + std::to_string(kMaxAttempts) +
               " times in a row (socket tables changing too fast)"};
}

// One request and its whole multipart reply. On any failure the channel is reset, so a
// half-read reply can never be mistaken for the next one.
Result<NetlinkSource::Reply> NetlinkSource::exchange(const std::vector<std::uint8_t>& request,
                                                     std::uint32_t seq, Protocol protocol) {
  if (const int error = channel_->send(request); error != 0) {
    channel_->reset();
    return Error{"send: " + errno_text(error)};
  }
  Reply reply;
  while (!reply.batch.done) {
    const ssize_t received = channel_->receive(buffer_);
    if (received < 0) {
      channel_->reset();
      if (received == -ENOBUFS) return Reply{{}, true};
      return Error{"receive: " + errno_text(static_cast<int>(-received))};
    }
    Result<DiagBatch> part =
        decode_diag_messages(buffer_.data(), static_cast<std::size_t>(received), protocol, seq);
    if (!part) {
      channel_->reset();
      return Error{part.error()};
    }
    std::vector<SocketRecord>& records = reply.batch.records;
    records.insert(records.end(), part->records.begin(), part->records.end());
    reply.batch.done = part->done;
    reply.batch.interrupted = reply.batch.interrupted || part->interrupted;
  }
  reply.retry = reply.batch.interrupted;
  return reply;
}

}  // namespace port_exporter
