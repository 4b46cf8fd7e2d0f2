// SPDX-License-Identifier: Apache-2.0
// Chooses the socket source: netlink sock_diag when the kernel offers it, else /proc/net.
#pragma once

#include <memory>
#include <string>

#include "kernel/socket_source.h"

namespace port_exporter {

std::unique_ptr<SocketSource> open_socket_source(const std::string& procfs_root);

}  // namespace port_exporter
