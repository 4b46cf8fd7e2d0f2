// SPDX-License-Identifier: Apache-2.0
#include "kernel/source_factory.h"

#include "base/log.h"
#include "kernel/netlink_source.h"
#include "kernel/procfs_source.h"

namespace port_exporter {

std::unique_ptr<SocketSource> open_socket_source(const std::string& procfs_root) {
  auto netlink = NetlinkSource::open();
  if (netlink) {
    log::debug("counting sockets with netlink sock_diag");
    return std::move(netlink).value();
  }
  log::warn("netlink sock_diag unavailable; falling back to /proc/net",
            {{"err", netlink.error()}, {"procfs", procfs_root}});
  return std::make_unique<ProcfsSource>(procfs_root);
}

}  // namespace port_exporter
