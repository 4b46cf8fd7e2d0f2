// SPDX-License-Identifier: Apache-2.0
#include "app/cli.h"

#include <functional>
#include <map>
#include <sstream>

#include "base/version.h"

namespace port_exporter {

namespace {

using Setter = std::function<Result<bool>(Options&, const std::string&)>;

Setter path_flag(std::string Options::*field, const char* name) {
  return [field, name](Options& o, const std::string& v) -> Result<bool> {
    if (v.empty()) return Error{std::string("--") + name + " must not be empty"};
    o.*field = v;
    return true;
  };
}

const std::map<std::string, Setter>& value_flags() {
  static const std::map<std::string, Setter> flags = {
      {"config.file", path_flag(&Options::config_file, "config.file")},
      {"web.listen-address",
       [](Options& o, const std::string& v) -> Result<bool> {
         o.listen_addresses.push_back(v);
         return true;
       }},
      {"web.telemetry-path",
       [](Options& o, const std::string& v) -> Result<bool> {
         if (v.empty() || v[0] != '/' || v == "/" || v == "/-/healthy" || v == "/-/ready") {
           return Error{
               "--web.telemetry-path must start with '/' and not be '/', "
               "'/-/healthy' or '/-/ready': \"" +
               v + "\""};
         }
         o.telemetry_path = v;
         return true;
       }},
      {"web.config.file", path_flag(&Options::web_config_file, "web.config.file")},
      {"path.procfs", path_flag(&Options::procfs, "path.procfs")},
      {"path.netns", path_flag(&Options::netns, "path.netns")},
      {"path.podlogs", path_flag(&Options::podlogs, "path.podlogs")},
      {"log.level",
       [](Options& o, const std::string& v) -> Result<bool> {
         auto level = log::parse_level(v);
         if (!level) return Error{"--log.level: " + level.error()};
         o.log_level = *level;
         return true;
       }},
      {"log.format",
       [](Options& o, const std::string& v) -> Result<bool> {
         auto format = log::parse_format(v);
         if (!format) return Error{"--log.format: " + format.error()};
         o.log_format = *format;
         return true;
       }},
  };
  return flags;
}

const std::map<std::string, bool Options::*>& bool_flags() {
  static const std::map<std::string, bool Options::*> flags = {
      {"once", &Options::once},
      {"check-config", &Options::check_config},
      {"version", &Options::show_version},
      {"help", &Options::show_help},
  };
  return flags;
}

}  // namespace

Result<Options> parse_args(const std::vector<std::string>& args) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      options.show_help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return Error{"unexpected argument \"" + arg + "\""};
    const auto eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (const auto b = bool_flags().find(name); b != bool_flags().end()) {
      if (eq != std::string::npos) return Error{"--" + name + " takes no value"};
      options.*(b->second) = true;
      continue;
    }
    const auto v = value_flags().find(name);
    if (v == value_flags().end()) return Error{"unknown flag --" + name};
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Error{"--" + name + " needs a value"};
    }
    if (auto set = v->second(options, value); !set) return Error{set.error()};
  }
  if (options.listen_addresses.empty()) options.listen_addresses.push_back(":12908");
  if (options.check_config && options.once) {
    return Error{"--check-config and --once cannot be used together"};
  }
  return options;
}

std::string usage(const std::string& program) {
  std::ostringstream out;
  out << "usage: " << program << " [flags]\n\n"
      << "Counts listeners and connections on configured ports (default 2908 tcp+udp)\n"
      << "and serves them as Prometheus metrics.\n\nFlags:\n"
      << "  --config.file=PATH            YAML config (default: built-in, port 2908 "
         "tcp+udp, expect absent)\n"
      << "  --web.listen-address=[HOST]:PORT\n"
      << "                                address to serve metrics on (default :12908);\n"
      << "                                repeatable; :PORT is IPv4 and IPv6, [::1]:PORT IPv6\n"
      << "  --web.config.file=PATH        TLS, client certificates, basic auth and headers\n"
      << "                                (exporter-toolkit web-config format); re-read on "
         "SIGHUP\n"
      << "  --web.telemetry-path=PATH     path of the metrics endpoint (default /metrics)\n"
      << "  --path.procfs=PATH            procfs mount point (default /proc)\n"
      << "  --path.netns=PATH             named network namespaces, swept with namespaces: all\n"
      << "                                (default /run/netns)\n"
      << "  --path.podlogs=PATH           the kubelet's pods/ and containers/ log folders:\n"
      << "                                pod, namespace and container names (default /var/log)\n"
      << "  --once                        collect once, print the metrics to stdout, exit\n"
      << "  --check-config                validate --config.file and --web.config.file and\n"
      << "                                exit 0 (valid) or 2\n"
      << "  --log.level=LEVEL             debug, info, warn or error (default info)\n"
      << "  --log.format=FORMAT           logfmt or json (default logfmt)\n"
      << "  --version                     print the version and exit\n"
      << "  -h, --help                    print this help and exit\n";
  return out.str();
}

// The layout of `prometheus --version`, so fleet tooling that parses one parses both.
std::string version_text() {
  std::ostringstream out;
  out << "port_exporter, version " << kVersion << " (branch: " << kBranch
      << ", revision: " << kRevision << ")\n"
      << "  build user:       " << kBuildUser << "\n"
      << "  build date:       " << kBuildDate << "\n"
      << "  compiler:         " << kCompiler << "\n"
      << "  platform:         " << kPlatform << "\n";
  return out.str();
}

}  // namespace port_exporter
