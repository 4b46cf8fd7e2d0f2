// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the /proc/net/{tcp,tcp6,udp,udp6} parser. The first byte picks the file kind.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "kernel/procfs_source.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using port_exporter::Family;
  using port_exporter::Protocol;
  const Protocol protocol = (data[0] & 1) != 0 ? Protocol::kUdp : Protocol::kTcp;
  const Family family = (data[0] & 2) != 0 ? Family::kIpv6 : Family::kIpv4;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  (void)port_exporter::parse_proc_net(in, protocol, family);
  return 0;
}
