// SPDX-License-Identifier: Apache-2.0
#include "kernel/closed_attempts_probe.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "base/errno_text.h"
#include "base/log.h"

#ifdef PORT_EXPORTER_HAVE_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <unistd.h>

#include "kernel/bpf/closed_attempts_abi.h"
#include "kernel/closed_attempts_object.h"  // generated: the compiled program as bytes
#endif

namespace port_exporter {

#ifdef PORT_EXPORTER_HAVE_BPF

namespace {

constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";

// libbpf's warnings go to our log at debug level; its own reason reaches the caller as errno.
int forward_libbpf(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  std::array<char, 512> line{};
  const int n = std::vsnprintf(line.data(), line.size(), format, args);
  std::string text(line.data());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  log::debug("libbpf", {{"msg", text}});
  return n;
}

// The reason a load failed, in words an operator can act on.
std::string load_failure(const char* step, int error) {
  std::string why = std::string(step) + ": " + errno_text(error);
  if (error == EPERM || error == EACCES) {
    why += ": needs CAP_BPF and CAP_PERFMON (or root)";
  } else if (error == ENOENT || error == ESRCH || error == EINVAL) {
    why += ": kernel too old? (needs BTF and skb:kfree_skb drop reasons, Linux 5.17+)";
  }
  return why;
}

using Key = std::pair<std::uint16_t, std::uint8_t>;  // (port, IP protocol)

std::uint8_t ip_protocol(Protocol p) {
  return p == Protocol::kTcp ? CLOSED_ATTEMPTS_TCP : CLOSED_ATTEMPTS_UDP;
}

}  // namespace

struct ClosedAttemptsProbe::Handles {
  bpf_object* object = nullptr;
  bpf_link* link = nullptr;
  int watched_fd = -1;
  int attempts_fd = -1;
  std::set<Key> watched;  // what the kernel map holds

  ~Handles() {
    if (link != nullptr) bpf_link__destroy(link);
    if (object != nullptr) bpf_object__close(object);
  }
};

Result<std::unique_ptr<ClosedAttemptsProbe>> ClosedAttemptsProbe::load() {
  libbpf_set_print(forward_libbpf);
  if (access(kBtfPath, R_OK) != 0) {
    return Error{std::string("no kernel BTF at ") + kBtfPath + ": " + errno_message(errno) +
                 " (needs CONFIG_DEBUG_INFO_BTF)"};
  }
  auto handles = std::make_unique<Handles>();
  handles->object =
      bpf_object__open_mem(kClosedAttemptsObject, sizeof(kClosedAttemptsObject), nullptr);
  if (handles->object == nullptr) return Error{load_failure("open", errno)};
  if (const int rc = bpf_object__load(handles->object); rc != 0) {
    return Error{load_failure("load", -rc)};
  }
  bpf_program* program = bpf_object__find_program_by_name(handles->object, "count_closed_attempt");
  if (program == nullptr) return Error{"load: program count_closed_attempt missing"};
  handles->link = bpf_program__attach(program);
  if (handles->link == nullptr) return Error{load_failure("attach skb:kfree_skb", errno)};
  handles->watched_fd = bpf_object__find_map_fd_by_name(handles->object, "watched_ports");
  handles->attempts_fd = bpf_object__find_map_fd_by_name(handles->object, "attempts");
  if (handles->watched_fd < 0 || handles->attempts_fd < 0) return Error{"load: maps missing"};
  return std::unique_ptr<ClosedAttemptsProbe>(new ClosedAttemptsProbe(std::move(handles)));
}

Result<bool> ClosedAttemptsProbe::watch(const WatchSet& ports) {
  std::set<Key> wanted;
  for (Protocol p : {Protocol::kTcp, Protocol::kUdp}) {
    for (std::uint16_t port : ports.ports(p)) wanted.insert({port, ip_protocol(p)});
  }
  if (wanted.size() > CLOSED_ATTEMPTS_MAX_WATCHED) {
    return Error{"closed_attempts: " + std::to_string(wanted.size()) +
                 " watched (port, protocol) pairs exceed the map's " +
                 std::to_string(CLOSED_ATTEMPTS_MAX_WATCHED)};
  }
  Handles& h = *handles_;
  for (const Key& gone : h.watched) {
    if (wanted.count(gone) != 0) continue;
    watched_key key{gone.first, gone.second, 0};
    if (bpf_map_delete_elem(h.watched_fd, &key) != 0 && errno != ENOENT) {
      return Error{"closed_attempts: delete watched port: " + errno_text(errno)};
    }
  }
  h.watched.clear();
  for (const Key& k : wanted) {
    watched_key key{k.first, k.second, 0};
    const __u8 one = 1;
    if (bpf_map_update_elem(h.watched_fd, &key, &one, BPF_ANY) != 0) {
      return Error{"closed_attempts: add watched port: " + errno_text(errno)};
    }
    h.watched.insert(k);
  }
  return true;
}

Result<std::vector<AttemptCount>> ClosedAttemptsProbe::read() const {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return Error{"closed_attempts: possible CPUs: " + errno_text(-cpus)};
  std::vector<__u64> per_cpu(static_cast<std::size_t>(cpus));
  std::vector<AttemptCount> out;
  attempt_key key{};
  attempt_key next{};
  const attempt_key* previous = nullptr;
  // Bounded: the map holds at most CLOSED_ATTEMPTS_MAX_COUNTED keys and we never delete.
  for (int i = 0; i <= CLOSED_ATTEMPTS_MAX_COUNTED; ++i) {
    if (bpf_map_get_next_key(handles_->attempts_fd, previous, &next) != 0) {
      if (errno == ENOENT) return out;  // the end
      return Error{"closed_attempts: map walk: " + errno_text(errno)};
    }
    key = next;
    previous = &key;
    if (bpf_map_lookup_elem(handles_->attempts_fd, &key, per_cpu.data()) != 0) continue;
    AttemptCount c;
    c.netns = key.netns;
    c.port = key.port;
    c.protocol = key.protocol == CLOSED_ATTEMPTS_TCP ? Protocol::kTcp : Protocol::kUdp;
    c.family = key.family == CLOSED_ATTEMPTS_INET ? Family::kIpv4 : Family::kIpv6;
    for (__u64 v : per_cpu) c.count += v;
    out.push_back(c);
  }
  return out;
}

#else  // built without clang or libbpf-dev: the probe is never available

struct ClosedAttemptsProbe::Handles {};

Result<std::unique_ptr<ClosedAttemptsProbe>> ClosedAttemptsProbe::load() {
  return Error{"this build has no eBPF probe (clang or libbpf-dev were missing at build time)"};
}

Result<bool> ClosedAttemptsProbe::watch(const WatchSet&) { return true; }

Result<std::vector<AttemptCount>> ClosedAttemptsProbe::read() const {
  return std::vector<AttemptCount>{};
}

#endif

ClosedAttemptsProbe::ClosedAttemptsProbe(std::unique_ptr<Handles> handles)
    : handles_(std::move(handles)) {}

ClosedAttemptsProbe::~ClosedAttemptsProbe() = default;

}  // namespace port_exporter
