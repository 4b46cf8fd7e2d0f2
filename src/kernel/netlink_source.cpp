// NetlinkSource: request encoding and reply decoding (pure, tested on recorded replies),
// then the I/O around them: one NETLINK_SOCK_DIAG socket, the request/reply loop, retries.
#include "kernel/netlink_source.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "kernel/inet_diag_filter.h"

namespace port_exporter {
namespace {

template <typename T>
void append_struct(std::vector<std::uint8_t>& out, const T& value) {
  std::uint8_t bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  out.insert(out.end(), bytes, bytes + sizeof value);
}

std::string errno_text(int error) {
  return std::generic_category().message(error) + " (errno " + std::to_string(error) + ")";
}

Error malformed(const std::string& what, std::size_t offset) {
  return Error{"malformed netlink reply: " + what + " at byte " + std::to_string(offset)};
}

std::optional<SocketRecord> to_record(const inet_diag_msg& msg, Protocol protocol) {
  SocketRecord record;
  record.protocol = protocol;
  std::size_t address_size = 0;
  if (msg.idiag_family == AF_INET) {
    record.family = Family::kIpv4;
    address_size = 4;
  } else if (msg.idiag_family == AF_INET6) {
    record.family = Family::kIpv6;
    address_size = 16;
  } else {
    return std::nullopt;
  }
  if (msg.idiag_state < static_cast<std::uint8_t>(TcpState::kEstablished) ||
      msg.idiag_state > static_cast<std::uint8_t>(TcpState::kNewSynRecv)) {
    return std::nullopt;
  }
  record.state = static_cast<TcpState>(msg.idiag_state);
  record.local.port = ntohs(msg.id.idiag_sport);
  record.remote.port = ntohs(msg.id.idiag_dport);
  std::memcpy(record.local.address.data(), msg.id.idiag_src, address_size);
  std::memcpy(record.remote.address.data(), msg.id.idiag_dst, address_size);
  record.inode = msg.idiag_inode;
  record.uid = msg.idiag_uid;
  return record;
}

// A leading `int` status, as NLMSG_DONE and NLMSG_ERROR carry.
std::optional<int> read_status(const std::uint8_t* payload, std::size_t len) {
  int status = 0;
  if (len < sizeof status) return std::nullopt;
  std::memcpy(&status, payload, sizeof status);
  return status;
}

// Adds what one message says to `batch`; an error for a failed or malformed reply.
std::optional<Error> decode_message(const nlmsghdr& header, const std::uint8_t* payload,
                                    std::size_t len, std::size_t offset, Protocol protocol,
                                    DiagBatch& batch) {
  switch (header.nlmsg_type) {
    case NLMSG_DONE: {
      // The status is optional in old kernels; a negative one means the dump failed.
      const std::optional<int> status = read_status(payload, len);
      if (status && *status < 0) return Error{"netlink dump failed: " + errno_text(-*status)};
      batch.done = true;
      return std::nullopt;
    }
    case NLMSG_ERROR: {
      const std::optional<int> status = read_status(payload, len);
      if (!status) return malformed("truncated NLMSG_ERROR", offset);
      if (*status == 0) {  // an ACK: nothing more follows
        batch.done = true;
        return std::nullopt;
      }
      return Error{"netlink error reply: " + errno_text(-*status)};
    }
    case NLMSG_OVERRUN: return Error{"netlink reply overrun: data was lost"};
    case SOCK_DIAG_BY_FAMILY:
    case TCPDIAG_GETSOCK: {  // the one-walk TCP dump (build_tcp_request_both_families)
      inet_diag_msg msg;
      if (len < sizeof msg) return malformed("truncated inet_diag_msg", offset);
      std::memcpy(&msg, payload, sizeof msg);
      if (std::optional<SocketRecord> record = to_record(msg, protocol)) {
        batch.records.push_back(*record);
      }
      return std::nullopt;
    }
    default:  // NLMSG_NOOP and anything newer: nothing for us
      return std::nullopt;
  }
}

// Dump datagrams are at most 32 KiB (the kernel caps its dump allocation there).
constexpr std::size_t kReceiveBufferSize = std::size_t{64} * 1024;
// NLM_F_DUMP_INTR or ENOBUFS: redo the dump, but not forever.
constexpr int kMaxAttempts = 3;
// The kernel always answers; the timeout only bounds a collection if it does not.
constexpr int kReceiveTimeoutSeconds = 5;

Result<int> open_socket() {
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

// 0 or -errno.
int send_request(int fd, const std::vector<std::uint8_t>& request) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    const ssize_t sent = sendto(fd, request.data(), request.size(), 0,
                                reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
    if (sent == static_cast<ssize_t>(request.size())) return 0;
    if (sent >= 0) return -EMSGSIZE;
    if (errno != EINTR) return -errno;
  }
}

// The size of one datagram from the kernel in `buffer`, or -errno. Datagrams from other
// senders are dropped; one larger than the buffer is an error (-EMSGSIZE), never cut.
ssize_t receive_datagram(int fd, std::vector<std::uint8_t>& buffer) {
  for (;;) {
    sockaddr_nl sender{};
    iovec io{buffer.data(), buffer.size()};
    msghdr message{};
    message.msg_name = &sender;
    message.msg_namelen = sizeof sender;
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    const ssize_t received = recvmsg(fd, &message, MSG_TRUNC);
    if (received < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (sender.nl_pid != 0) continue;
    if (static_cast<std::size_t>(received) > buffer.size()) return -EMSGSIZE;
    return received;
  }
}

bool is_watched(const SocketRecord& record, const std::vector<std::uint16_t>& ports) {
  return std::binary_search(ports.begin(), ports.end(), record.local.port) ||
         std::binary_search(ports.begin(), ports.end(), record.remote.port);
}

std::string dump_name(Protocol protocol, Family family) {
  return "sock_diag " + std::string(to_string(protocol)) + "/" + std::string(to_string(family)) +
         " dump: ";
}

inet_diag_req_v2 by_family_request(Protocol protocol, Family family, std::uint32_t states) {
  inet_diag_req_v2 request{};
  request.sdiag_family = family == Family::kIpv4 ? AF_INET : AF_INET6;
  request.sdiag_protocol = protocol == Protocol::kTcp ? IPPROTO_TCP : IPPROTO_UDP;
  request.idiag_states = states;
  return request;
}

// nlmsghdr + `request` + an INET_DIAG_REQ_BYTECODE attribute (none when `bytecode` is empty).
template <typename Request>
std::vector<std::uint8_t> build_request(std::uint16_t type, const Request& request,
                                        std::uint32_t seq,
                                        const std::vector<std::uint8_t>& bytecode) {
  nlattr attribute{};
  attribute.nla_type = INET_DIAG_REQ_BYTECODE;
  attribute.nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + bytecode.size());
  const std::size_t attribute_size = bytecode.empty() ? 0 : NLA_ALIGN(attribute.nla_len);

  nlmsghdr header{};
  header.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(sizeof request) + attribute_size);
  header.nlmsg_type = type;
  header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  header.nlmsg_seq = seq;

  std::vector<std::uint8_t> out;
  out.reserve(header.nlmsg_len);
  append_struct(out, header);
  append_struct(out, request);
  if (!bytecode.empty()) {
    append_struct(out, attribute);
    out.insert(out.end(), bytecode.begin(), bytecode.end());
    out.resize(NLMSG_LENGTH(sizeof request) + attribute_size, 0);
  }
  return out;
}

// TCP sockets of both families in one dump: the original TCPDIAG_GETSOCK request (struct
// inet_diag_req), which every kernel with inet_diag still serves, dumps as AF_UNSPEC, so the
// kernel walks its TCP tables once; SOCK_DIAG_BY_FAMILY walks them once per family. That
// walk is the whole cost of a collection on a busy host (it reads every socket: ~0.1 us each,
// bound by memory), so this halves it. Same bytecode, same inet_diag_msg replies.
std::vector<std::uint8_t> build_tcp_request_both_families(
    std::uint32_t seq, const std::vector<std::uint8_t>& bytecode) {
  inet_diag_req request{};
  request.idiag_family = AF_UNSPEC;
  request.idiag_states = kDiagAllStates;
  return build_request(TCPDIAG_GETSOCK, request, seq, bytecode);
}

// Repeats `attempt` (one request and its whole reply) while the reply says to retry
// (NLM_F_DUMP_INTR or ENOBUFS: incomplete or inconsistent), but not forever.
template <typename Attempt>
Result<std::vector<SocketRecord>> until_consistent(const Attempt& attempt,
                                                   const std::string& name) {
  for (int i = 0; i < kMaxAttempts; ++i) {
    auto reply = attempt();
    if (!reply) return Error{name + reply.error()};
    if (!reply->retry) return std::move(reply.value().batch.records);
  }
  return Error{name + "interrupted " + std::to_string(kMaxAttempts) +
               " times in a row (socket tables changing too fast)"};
}

}  // namespace

std::vector<std::uint8_t> build_diag_request(Protocol protocol, Family family, std::uint32_t seq,
                                             const std::vector<std::uint8_t>& bytecode) {
  return build_request(SOCK_DIAG_BY_FAMILY, by_family_request(protocol, family, kDiagAllStates),
                       seq, bytecode);
}

Result<DiagBatch> decode_diag_messages(const std::uint8_t* data, std::size_t len, Protocol protocol,
                                       std::optional<std::uint32_t> seq) {
  DiagBatch batch;
  std::size_t offset = 0;
  while (offset < len && !batch.done) {
    nlmsghdr header;
    const std::size_t left = len - offset;
    if (left < sizeof header) return malformed("truncated message header", offset);
    std::memcpy(&header, data + offset, sizeof header);
    if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > left) {
      return malformed("message length " + std::to_string(header.nlmsg_len) + " with " +
                           std::to_string(left) + " bytes left",
                       offset);
    }
    const std::size_t message_offset = offset;
    offset += std::min<std::size_t>(NLMSG_ALIGN(header.nlmsg_len), left);
    if (seq && header.nlmsg_seq != *seq) continue;
    if ((header.nlmsg_flags & NLM_F_DUMP_INTR) != 0) batch.interrupted = true;
    if (std::optional<Error> error =
            decode_message(header, data + message_offset + NLMSG_HDRLEN,
                           header.nlmsg_len - NLMSG_HDRLEN, message_offset, protocol, batch)) {
      return *error;
    }
  }
  return batch;
}

struct NetlinkSource::Reply {
  DiagBatch batch;
  bool retry = false;  // NLM_F_DUMP_INTR or ENOBUFS: the reply is incomplete or inconsistent
};

Result<std::unique_ptr<NetlinkSource>> NetlinkSource::open() {
  std::unique_ptr<NetlinkSource> source(new NetlinkSource());
  Result<int> fd = open_socket();
  if (!fd) return Error{fd.error()};
  source->fd_ = *fd;
  source->buffer_.resize(kReceiveBufferSize);
  // A filtered dump per protocol that asks for no socket state, so the kernel walks none of
  // its tables (a real dump would read every TCP socket: on a busy host, most of a --once
  // run). It still loads the diag modules and audits our bytecode (S_EQ/D_EQ need Linux
  // 4.16): an error here means sock_diag cannot serve us.
  const std::vector<std::uint8_t> probe_filter = build_port_filter({1});
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    const inet_diag_req_v2 no_state = by_family_request(protocol, Family::kIpv4, 0);
    Result<std::vector<SocketRecord>> probe = until_consistent(
        [&source, &no_state, &probe_filter, protocol] {
          const std::uint32_t seq = ++source->seq_;
          return source->exchange(build_request(SOCK_DIAG_BY_FAMILY, no_state, seq, probe_filter),
                                  seq, protocol);
        },
        dump_name(protocol, Family::kIpv4));
    if (!probe) return Error{"netlink sock_diag unavailable: " + probe.error()};
  }
  return Result<std::unique_ptr<NetlinkSource>>(std::move(source));
}

NetlinkSource::~NetlinkSource() { close_socket(); }

void NetlinkSource::close_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
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
        if (!bytecode.empty() || is_watched(record, ports)) records.push_back(record);
      }
    };
    if (protocol == Protocol::kTcp) {
      Result<std::vector<SocketRecord>> both = until_consistent(
          [this, &bytecode] {
            const std::uint32_t seq = ++seq_;
            return exchange(build_tcp_request_both_families(seq, bytecode), seq, Protocol::kTcp);
          },
          "sock_diag tcp dump: ");
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
      [this, protocol, family, &bytecode] {
        const std::uint32_t seq = ++seq_;
        return exchange(build_diag_request(protocol, family, seq, bytecode), seq, protocol);
      },
      dump_name(protocol, family));
}

// One request and its whole multipart reply. On any failure the socket is closed, so a
// half-read reply can never be mistaken for the next one; the next dump reopens it.
Result<NetlinkSource::Reply> NetlinkSource::exchange(const std::vector<std::uint8_t>& request,
                                                     std::uint32_t seq, Protocol protocol) {
  if (fd_ < 0) {
    Result<int> fd = open_socket();
    if (!fd) return Error{fd.error()};
    fd_ = *fd;
  }
  if (const int error = send_request(fd_, request); error != 0) {
    close_socket();
    return Error{"send: " + errno_text(-error)};
  }
  Reply reply;
  while (!reply.batch.done) {
    const ssize_t received = receive_datagram(fd_, buffer_);
    if (received < 0) {
      close_socket();
      if (received == -ENOBUFS) return Reply{{}, true};
      return Error{"receive: " + errno_text(static_cast<int>(-received))};
    }
    Result<DiagBatch> part =
        decode_diag_messages(buffer_.data(), static_cast<std::size_t>(received), protocol, seq);
    if (!part) {
      close_socket();
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
