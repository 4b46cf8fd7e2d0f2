// SPDX-License-Identifier: Apache-2.0
#include "kernel/procfs_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>
#include <system_error>

#include "base/errno_text.h"
#include "base/file_read.h"
#include "base/parse_number.h"

namespace port_exporter {
namespace {

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  while (at < line.size()) {
    const std::size_t start = line.find_first_not_of(" \t", at);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(line.find_first_of(" \t", start), line.size());
    fields.push_back(line.substr(start, end - start));
    at = end;
  }
  return fields;
}

// "0100007F:0050": each 8-digit group is a 32-bit word the kernel printed in host byte
// order; copying the word's bytes back gives the address in network byte order.
std::optional<Endpoint> parse_endpoint(std::string_view text, Family family) {
  const std::size_t words = family == Family::kIpv4 ? 1 : 4;
  const std::size_t colon = text.find(':');
  if (colon != words * 8) return std::nullopt;
  Endpoint endpoint;
  for (std::size_t i = 0; i < words; ++i) {
    const std::optional<std::uint32_t> word =
        parse_number<std::uint32_t>(text.substr(i * 8, 8), 16);
    if (!word) return std::nullopt;
    std::memcpy(endpoint.address.data() + i * 4, &*word, 4);
  }
  const std::optional<std::uint16_t> port = parse_number<std::uint16_t>(text.substr(colon + 1), 16);
  if (!port) return std::nullopt;
  endpoint.port = *port;
  return endpoint;
}

// Fields: sl local remote st tx:rx tr:when retrnsmt uid timeout inode ...
// nullopt when malformed. The state is not checked here.
std::optional<SocketRecord> parse_fields(const std::vector<std::string_view>& fields,
                                         Protocol protocol, Family family) {
  if (fields.size() < 10) return std::nullopt;
  SocketRecord record;
  record.protocol = protocol;
  record.family = family;
  const std::optional<Endpoint> local = parse_endpoint(fields[1], family);
  const std::optional<Endpoint> remote = parse_endpoint(fields[2], family);
  const std::optional<std::uint8_t> state = parse_number<std::uint8_t>(fields[3], 16);
  const std::optional<std::uint32_t> uid = parse_number<std::uint32_t>(fields[7], 10);
  const std::optional<std::uint64_t> inode = parse_number<std::uint64_t>(fields[9], 10);
  if (!local || !remote || !state || !uid || !inode) return std::nullopt;
  record.local = *local;
  record.remote = *remote;
  record.state = static_cast<TcpState>(*state);
  record.uid = *uid;
  record.inode = *inode;
  return record;
}

// /proc/net/tcp of a busy host: ~150 bytes a socket, so 1 GiB is ~7M sockets; a file past
// that is not one the kernel wrote.
constexpr std::size_t kMaxProcNetBytes = std::size_t{1} << 30;

}  // namespace

Result<std::vector<SocketRecord>> parse_proc_net(std::istream& in, Protocol protocol,
                                                 Family family) {
  std::vector<SocketRecord> records;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::vector<std::string_view> fields = split_fields(line);
    if (fields.empty() || fields[0] == "sl") continue;  // blank or the header line
    const std::optional<SocketRecord> record = parse_fields(fields, protocol, family);
    if (!record) return Error{"line " + std::to_string(number) + ": malformed socket line"};
    if (tcp_state_from(static_cast<std::uint8_t>(record->state))) records.push_back(*record);
  }
  return records;
}

ProcfsSource::ProcfsSource(std::string procfs_root) : procfs_root_(std::move(procfs_root)) {}

Result<std::vector<SocketRecord>> ProcfsSource::dump(const WatchSet& watch) {
  const std::string net = procfs_root_ + "/net";
  struct stat status {};
  if (::stat(net.c_str(), &status) != 0)
    return Error{"cannot read " + net + ": " + errno_message(errno)};
  std::vector<SocketRecord> out;
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    const std::vector<std::uint16_t>& ports = watch.ports(protocol);
    if (ports.empty()) continue;
    for (const Family family : {Family::kIpv4, Family::kIpv6}) {
      const std::string path =
          net + "/" + std::string(to_string(protocol)) + (family == Family::kIpv6 ? "6" : "");
      const Result<std::string, FileError> content = read_file(path, kMaxProcNetBytes);
      if (!content && content.error().error == ENOENT) continue;  // that family is off
      if (!content) return Error{content.error().message};
      std::istringstream in(*content);
      Result<std::vector<SocketRecord>> records = parse_proc_net(in, protocol, family);
      if (!records) return Error{path + ": " + records.error()};
      for (const SocketRecord& record : *records) {
        if (watch.watches(record)) out.push_back(record);
      }
    }
  }
  return out;
}

}  // namespace port_exporter
