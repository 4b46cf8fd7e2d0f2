// SPDX-License-Identifier: Apache-2.0
// Sockets created inside another network namespace. A socket belongs for its whole life to
// the namespace it was created in, so entering once (on a short-lived thread: the
// collection thread never changes namespace) gives a socket that can be reused for every
// dump. setns(CLONE_NEWNET) needs CAP_SYS_ADMIN.
#pragma once

#include <functional>
#include <string>

#include "base/result.h"

namespace port_exporter {

// `open` (which returns a new socket, e.g. open_sock_diag_socket) run on a thread that has
// entered the network namespace the file at `netns_path` (/proc/<pid>/ns/net,
// /run/netns/NAME) refers to. Errors name the step and the path ("setns /run/netns/a:
// Operation not permitted").
Result<int> open_in_netns(const std::string& netns_path, const std::function<Result<int>()>& open);

// socket(domain, type | SOCK_CLOEXEC, protocol) inside that namespace.
Result<int> open_socket_in_netns(const std::string& netns_path, int domain, int type, int protocol);

}  // namespace port_exporter
