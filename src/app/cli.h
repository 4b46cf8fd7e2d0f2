// SPDX-License-Identifier: Apache-2.0
// Command line: exporter-toolkit style flags (--name=value or --name value) -> Options.
#pragma once

#include <string>
#include <vector>

#include "base/log.h"
#include "base/result.h"

namespace port_exporter {

struct Options {
  std::string config_file;                    // empty: the built-in default config
  std::vector<std::string> listen_addresses;  // empty: the default ":12908"
  std::string web_config_file;                // empty: plain HTTP, no authentication
  std::string telemetry_path = "/metrics";
  std::string procfs = "/proc";
  std::string netns = "/run/netns";  // named network namespaces (ip netns)
  std::string podlogs = "/var/log";  // the kubelet's pods/ and containers/ log folders
  bool once = false;
  bool check_config = false;
  bool show_version = false;
  bool show_help = false;
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kLogfmt;
};

Result<Options> parse_args(const std::vector<std::string>& args);
std::string usage(const std::string& program);
std::string version_text();

}  // namespace port_exporter
