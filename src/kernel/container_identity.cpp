// SPDX-License-Identifier: Apache-2.0
#include "kernel/container_identity.h"

#include <algorithm>
#include <array>

namespace port_exporter {
namespace {

constexpr std::size_t kContainerIdLength = 64;

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// "cri-containerd-<id>.scope", "crio-<id>.scope", "docker-<id>.scope", "libpod-<id>.scope",
// or a bare "<id>" (cgroupfs drivers). Conmon's scope (libpod-conmon-, crio-conmon-) holds
// the monitor, not the container: its id must not be taken for the process's.
std::optional<std::string> container_id_of(std::string_view component) {
  if (ends_with(component, ".scope")) component.remove_suffix(6);
  static constexpr std::array<std::string_view, 5> kPrefixes = {
      "cri-containerd-", "crio-", "docker-", "libpod-", "containerd-"};
  for (const std::string_view prefix : kPrefixes) {
    if (starts_with(component, prefix)) {
      component.remove_prefix(prefix.size());
      break;
    }
  }
  if (component.size() != kContainerIdLength || !is_hex(component)) return std::nullopt;
  return std::string(component);
}

bool is_uid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s.substr(i, 1))) return false;
  }
  return true;
}

// "pod<uid>" (cgroupfs) or "kubepods-besteffort-pod<uid with _>.slice" (systemd).
std::optional<std::string> pod_uid_of(std::string_view component) {
  if (ends_with(component, ".slice")) component.remove_suffix(6);
  const std::size_t at = component.rfind("pod");
  if (at == std::string_view::npos || (at != 0 && component[at - 1] != '-')) return std::nullopt;
  std::string uid(component.substr(at + 3));
  std::replace(uid.begin(), uid.end(), '_', '-');
  if (!is_uid(uid)) return std::nullopt;
  return uid;
}

// The path's deepest container and pod, and how many container ids it names.
CgroupIdentity parse_path(std::string_view path, std::size_t& containers) {
  CgroupIdentity id;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (auto container = container_id_of(component)) {
      id.container_id = std::move(*container);
      ++containers;
    }
    if (auto pod = pod_uid_of(component)) id.pod_uid = std::move(*pod);
  }
  return id;
}

}  // namespace

// The hierarchy whose path names the most container ids wins: a runtime nested in a
// container (podman with cgroupfs inside podman, on a hybrid host) puts its containers under
// the enclosing one's cgroup in the v1 hierarchies only, so there the v2 line names only the
// outer container. On a tie: the v2 line, else the first v1 line naming a container or pod.
CgroupIdentity parse_cgroup(std::string_view content) {
  std::optional<CgroupIdentity> best;
  std::size_t best_depth = 0;
  bool best_v2 = false;
  while (!content.empty()) {
    const std::size_t newline = content.find('\n');
    const std::string_view line = content.substr(0, newline);
    content = newline == std::string_view::npos ? std::string_view{} : content.substr(newline + 1);
    // hierarchy-ID:controller-list:cgroup-path; the path may itself contain ':'.
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::size_t depth = 0;
    CgroupIdentity id = parse_path(line.substr(second + 1), depth);
    const bool v2 = line.substr(0, second + 1) == "0::";
    if (!v2 && id.container_id.empty() && id.pod_uid.empty()) continue;
    if (!best || depth > best_depth || (depth == best_depth && v2 && !best_v2)) {
      best = std::move(id);
      best_depth = depth;
      best_v2 = v2;
    }
  }
  return best.value_or(CgroupIdentity{});
}

std::optional<PodLogDir> parse_pod_log_dir(std::string_view name) {
  const std::size_t first = name.find('_');
  const std::size_t second = first == std::string_view::npos ? first : name.find('_', first + 1);
  if (second == std::string_view::npos || first == 0 || second == first + 1) return std::nullopt;
  const std::string_view uid = name.substr(second + 1);
  if (!is_uid(uid)) return std::nullopt;
  return PodLogDir{std::string(name.substr(0, first)),
                   std::string(name.substr(first + 1, second - first - 1)), std::string(uid)};
}

std::optional<ContainerLogFile> parse_container_log_name(std::string_view name) {
  if (!ends_with(name, ".log")) return std::nullopt;
  name.remove_suffix(4);
  if (name.size() < kContainerIdLength + 1 || name[name.size() - kContainerIdLength - 1] != '-') {
    return std::nullopt;
  }
  const std::string_view id = name.substr(name.size() - kContainerIdLength);
  if (!is_hex(id)) return std::nullopt;
  name.remove_suffix(kContainerIdLength + 1);
  const std::size_t first = name.find('_');
  const std::size_t second = first == std::string_view::npos ? first : name.find('_', first + 1);
  if (second == std::string_view::npos || first == 0 || second == first + 1 ||
      second + 1 == name.size()) {
    return std::nullopt;
  }
  return ContainerLogFile{std::string(name.substr(0, first)),
                          std::string(name.substr(first + 1, second - first - 1)),
                          std::string(name.substr(second + 1)), std::string(id)};
}

PodLogIndex index_pod_logs(const std::vector<std::string>& container_log_names,
                           const std::vector<std::string>& pod_dir_names) {
  PodLogIndex index;
  for (const std::string& name : container_log_names) {
    if (auto file = parse_container_log_name(name)) {
      std::string id = file->container_id;
      index.by_container_id.emplace(std::move(id), std::move(*file));
    }
  }
  for (const std::string& name : pod_dir_names) {
    if (auto dir = parse_pod_log_dir(name)) {
      std::string uid = dir->uid;
      index.by_pod_uid.emplace(std::move(uid), std::move(*dir));
    }
  }
  return index;
}

ContainerIdentity name_container(const CgroupIdentity& id, const PodLogIndex& index) {
  ContainerIdentity out;
  out.container_id = id.container_id;
  if (!id.container_id.empty()) {
    if (const auto file = index.by_container_id.find(id.container_id);
        file != index.by_container_id.end()) {
      out.k8s_namespace_name = file->second.k8s_namespace;
      out.k8s_pod_name = file->second.pod;
      out.k8s_container_name = file->second.container;
      return out;
    }
  }
  if (!id.pod_uid.empty()) {
    if (const auto dir = index.by_pod_uid.find(id.pod_uid); dir != index.by_pod_uid.end()) {
      out.k8s_namespace_name = dir->second.k8s_namespace;
      out.k8s_pod_name = dir->second.pod;
    }
  }
  return out;
}

}  // namespace port_exporter
