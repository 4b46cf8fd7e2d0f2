// SPDX-License-Identifier: Apache-2.0
#include "kernel/sockstat.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>

#include "base/errno_text.h"
#include "base/parse_number.h"
#include "kernel/netns_socket.h"

namespace port_exporter {
namespace {

// The kernel's text is ~300 bytes; a larger file is cut and what is missing is "unknown".
constexpr std::size_t kMaxText = 4096;

Result<int> open_file(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{std::string("open ") + path + ": " + errno_text(errno)};
  return fd;
}

std::optional<std::string> read_all(int fd) {
  std::array<char, kMaxText> buffer{};
  const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), 0);  // 0: regenerated
  if (n < 0) return std::nullopt;
  return std::string(buffer.data(), static_cast<std::size_t>(n));
}

}  // namespace

std::optional<std::uint64_t> parse_sockstat_inuse(std::string_view text,
                                                  std::string_view protocol) {
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.size() <= protocol.size() + 1 || line.substr(0, protocol.size()) != protocol ||
        line.substr(protocol.size(), 2) != ": ") {
      continue;
    }
    line.remove_prefix(protocol.size() + 2);
    constexpr std::string_view kInuse = "inuse ";
    if (line.substr(0, kInuse.size()) != kInuse) return std::nullopt;
    line.remove_prefix(kInuse.size());
    return parse_number<std::uint64_t>(line.substr(0, line.find(' ')));
  }
  return std::nullopt;
}

Result<SockstatReader> SockstatReader::open_in(const std::string& netns_path) {
  // /proc/thread-self: the entering thread's namespace, not the process's.
  Result<int> v4 =
      open_in_netns(netns_path, [] { return open_file("/proc/thread-self/net/sockstat"); });
  if (!v4) return Error{v4.error()};
  Result<int> v6 =
      open_in_netns(netns_path, [] { return open_file("/proc/thread-self/net/sockstat6"); });
  if (!v6) {
    ::close(*v4);
    return Error{v6.error()};
  }
  return SockstatReader(*v4, *v6);
}

SockstatReader::SockstatReader(SockstatReader&& other) noexcept
    : v4_(std::exchange(other.v4_, -1)), v6_(std::exchange(other.v6_, -1)) {}

SockstatReader& SockstatReader::operator=(SockstatReader&& other) noexcept {
  if (this != &other) {
    std::swap(v4_, other.v4_);
    std::swap(v6_, other.v6_);
  }
  return *this;
}

SockstatReader::~SockstatReader() {
  if (v4_ >= 0) ::close(v4_);
  if (v6_ >= 0) ::close(v6_);
}

std::optional<SocketsInUse> SockstatReader::read() const {
  const std::optional<std::string> v4 = read_all(v4_);
  const std::optional<std::string> v6 = read_all(v6_);
  if (!v4 || !v6) return std::nullopt;
  const auto tcp4 = parse_sockstat_inuse(*v4, "TCP");
  const auto udp4 = parse_sockstat_inuse(*v4, "UDP");
  const auto tcp6 = parse_sockstat_inuse(*v6, "TCP6");
  const auto udp6 = parse_sockstat_inuse(*v6, "UDP6");
  if (!tcp4 || !udp4 || !tcp6 || !udp6) return std::nullopt;
  return SocketsInUse{*tcp4 + *tcp6, *udp4 + *udp6};
}

}  // namespace port_exporter
