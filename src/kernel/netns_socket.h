// Sockets created inside another network namespace. A socket belongs for its whole life to
// the namespace it was created in, so entering once (on a short-lived thread: the
// collection thread never changes namespace) gives a socket that can be reused for every
// dump. setns(CLONE_NEWNET) needs CAP_SYS_ADMIN.
#pragma once

#include <string>

#include "base/result.h"

namespace port_exporter {

// socket(domain, type | SOCK_CLOEXEC, protocol) inside the network namespace that the file
// at `netns_path` (/proc/<pid>/ns/net, /run/netns/NAME) refers to. Errors name the step
// and the path ("setns /run/netns/a: Operation not permitted").
Result<int> open_socket_in_netns(const std::string& netns_path, int domain, int type, int protocol);

}  // namespace port_exporter
