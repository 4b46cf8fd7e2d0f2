// SPDX-License-Identifier: Apache-2.0
// Privilege separation: the process that collects (and keeps the capabilities owner lookup
// needs) never parses network input. HTTP is served by a child forked before any thread or
// kernel socket exists, which drops to an unprivileged uid with no capability, no_new_privs
// and a seccomp allow-list, and receives the serialized exposition over a socketpair once
// per collection. Either side's death ends the other: no silent half-exporter.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

#include "base/result.h"
#include "exposition/frame.h"

namespace port_exporter {

struct ServingProcess {
  pid_t pid = -1;
  int fd = -1;  // the collector's end of the socketpair
};

// Forks. The child runs `serve(fd)` on its end of the socketpair and exits with what it
// returns; only the parent returns from here.
Result<ServingProcess> fork_serving_process(const std::function<int(int fd)>& serve);

// Child side, in this order: the uid (65534 when started as root), capabilities (none,
// checked in /proc/self/status), no_new_privs. Root without CAP_SETUID/CAP_SETGID cannot
// switch: an error saying so.
std::optional<Error> drop_privileges();
// The system calls serving needs, for every thread of the process (the web server's
// threads are running by then); anything else fails with EPERM.
std::optional<Error> restrict_syscalls();
// Collector side: removes CAP_SETUID and CAP_SETGID (only the fork needed them).
void drop_setuid_capabilities();

// Collector side: writes one frame; false when the serving process is gone.
bool send_frame(int fd, const ExpositionFrame& frame);

// Serving side: reads frames from `fd` and hands each to `on_frame` until SIGTERM (0),
// the collector closing its end (1: it died) or a malformed stream (1). `signals` is the
// blocked set whose SIGTERM ends the loop; SIGHUP calls `on_reload`.
int receive_frames(int fd, const sigset_t& signals,
                   const std::function<void(ExpositionFrame)>& on_frame,
                   const std::function<void()>& on_reload);

}  // namespace port_exporter
