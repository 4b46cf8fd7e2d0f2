// SPDX-License-Identifier: Apache-2.0
#include "app/serving_process.h"

#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/errno_text.h"
#include "base/log.h"
#include "kernel/capabilities.h"

#if defined(__SANITIZE_ADDRESS__)
namespace {
// LeakSanitizer stops the world with ptrace at exit, which the serving process's filter
// denies: its exit would hang. Leaks are checked in the collector (and in-process tests).
bool g_leak_check_impossible = false;
}  // namespace
extern "C" int __lsan_is_turned_off() { return g_leak_check_impossible ? 1 : 0; }
#endif

namespace port_exporter {
namespace {

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

Error os_error(const std::string& what, int error) {
  return Error{"serving process: " + what + ": " + errno_message(error)};
}

int capset_raw(const __user_cap_data_struct (&data)[2]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return static_cast<int>(syscall(SYS_capset, &header, data));
}

bool write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Result<ServingProcess> fork_serving_process(const std::function<int(int fd)>& serve) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return os_error("socketpair", errno);
  }
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return os_error("fork", error);
  }
  if (pid == 0) {
    ::close(fds[0]);
    // A collector killed outright (SIGKILL, OOM) cannot tell us: the kernel does.
    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
    std::exit(serve(fds[1]));
  }
  ::close(fds[1]);
  return ServingProcess{pid, fds[0]};
}

std::optional<Error> drop_privileges() {
  if (geteuid() == 0) {
    // The bounding set too, where we may (CAP_SETPCAP): nothing could come back by exec.
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
    if (setgroups(0, nullptr) != 0 || setresgid(kNogroup, kNogroup, kNogroup) != 0 ||
        setresuid(kNobody, kNobody, kNobody) != 0) {
      return Error{"serving process: cannot switch from root to uid " + std::to_string(kNobody) +
                   ": " + errno_message(errno) +
                   " (give the exporter CAP_SETUID and CAP_SETGID, or run it as a non-root "
                   "user)"};
    }
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  const __user_cap_data_struct none[2] = {};
  if (capset_raw(none) != 0) return os_error("dropping capabilities", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return os_error("no_new_privs", errno);
  // A uid change clears the dumpable flag, which makes /proc/self/fd unreadable to us;
  // process_open_fds reads it. The process holds nothing another uid-65534 process
  // could not already fetch over HTTP.
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  const Result<std::uint64_t> effective = effective_capabilities();
  if (!effective)
    return Error{"serving process: cannot check its capabilities: " + effective.error()};
  if (*effective != 0) {
    char mask[32];
    std::snprintf(mask, sizeof mask, "%016llx", static_cast<unsigned long long>(*effective));
    return Error{std::string("serving process: capabilities left after dropping them: CapEff ") +
                 mask};
  }
  return std::nullopt;
}

void drop_setuid_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return;
  for (const int cap : {CAP_SETUID, CAP_SETGID}) {
    data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
    data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
    data[CAP_TO_INDEX(cap)].inheritable &= ~CAP_TO_MASK(cap);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0);
  }
  capset_raw(data);
}

std::optional<Error> restrict_syscalls() {
  scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (filter == nullptr) return Error{"serving process: seccomp_init failed"};
  // What civetweb's threads, the C++ runtime and our reads of /proc/self do.
  static const int kAllowed[] = {
      SCMP_SYS(read),
      SCMP_SYS(write),
      SCMP_SYS(readv),
      SCMP_SYS(writev),
      SCMP_SYS(pread64),
      SCMP_SYS(close),
      SCMP_SYS(fstat),
      SCMP_SYS(newfstatat),
      SCMP_SYS(statx),
      SCMP_SYS(lseek),
      SCMP_SYS(openat),
      SCMP_SYS(getdents64),
      SCMP_SYS(readlinkat),
      SCMP_SYS(fcntl),
      SCMP_SYS(ioctl),
      SCMP_SYS(mmap),
      SCMP_SYS(munmap),
      SCMP_SYS(mprotect),
      SCMP_SYS(mremap),
      SCMP_SYS(madvise),
      SCMP_SYS(brk),
      SCMP_SYS(rt_sigaction),
      SCMP_SYS(rt_sigprocmask),
      SCMP_SYS(rt_sigreturn),
      SCMP_SYS(rt_sigtimedwait),
      SCMP_SYS(sigaltstack),
      SCMP_SYS(poll),
      SCMP_SYS(ppoll),
      SCMP_SYS(select),
      SCMP_SYS(pselect6),
      SCMP_SYS(epoll_create1),
      SCMP_SYS(epoll_ctl),
      SCMP_SYS(epoll_wait),
      SCMP_SYS(epoll_pwait),
      SCMP_SYS(accept),
      SCMP_SYS(accept4),
      SCMP_SYS(recvfrom),
      SCMP_SYS(recvmsg),
      SCMP_SYS(sendto),
      SCMP_SYS(sendmsg),
      SCMP_SYS(shutdown),
      SCMP_SYS(getsockname),
      SCMP_SYS(getpeername),
      SCMP_SYS(setsockopt),
      SCMP_SYS(getsockopt),
      SCMP_SYS(futex),
      SCMP_SYS(clone),
      SCMP_SYS(clone3),
      SCMP_SYS(set_robust_list),
      SCMP_SYS(rseq),
      SCMP_SYS(exit),
      SCMP_SYS(exit_group),
      SCMP_SYS(gettid),
      SCMP_SYS(getpid),
      SCMP_SYS(tgkill),
      SCMP_SYS(clock_gettime),
      SCMP_SYS(clock_nanosleep),
      SCMP_SYS(nanosleep),
      SCMP_SYS(gettimeofday),
      SCMP_SYS(sched_yield),
      SCMP_SYS(sched_getaffinity),
      SCMP_SYS(getrandom),
      SCMP_SYS(prlimit64),
      SCMP_SYS(getrlimit),
      SCMP_SYS(uname),
      SCMP_SYS(membarrier),
      SCMP_SYS(restart_syscall),
      SCMP_SYS(eventfd2),
      SCMP_SYS(signalfd4),
      SCMP_SYS(getuid),
      SCMP_SYS(geteuid),
      SCMP_SYS(getgid),
      SCMP_SYS(getegid),
  };
  std::optional<Error> error;
#if defined(__SANITIZE_ADDRESS__)
  // Sanitizer builds only (make test-sanitize): the runtime checks whether memory is
  // readable by writing it to a pipe and names the executable with readlink; denied, UBSan
  // reports every virtual call as on an invalid object. Release builds keep the list above.
  for (const int syscall_number : {SCMP_SYS(pipe), SCMP_SYS(pipe2), SCMP_SYS(readlink)}) {
    seccomp_rule_add(filter, SCMP_ACT_ALLOW, syscall_number, 0);
  }
#endif
  for (const int syscall_number : kAllowed) {
    if (seccomp_rule_add(filter, SCMP_ACT_ALLOW, syscall_number, 0) != 0) {
      error = Error{"serving process: seccomp rule for syscall " + std::to_string(syscall_number)};
      break;
    }
  }
  // Every thread: civetweb's listener and workers run already.
  if (!error && seccomp_attr_set(filter, SCMP_FLTATR_CTL_TSYNC, 1) != 0) {
    error = Error{"serving process: seccomp thread synchronization unsupported"};
  }
  if (!error) {
    if (const int rc = seccomp_load(filter); rc != 0) error = os_error("seccomp_load", -rc);
  }
#if defined(__SANITIZE_ADDRESS__)
  g_leak_check_impossible = !error;
#endif
  seccomp_release(filter);
  return error;
}

bool send_frame(int fd, const ExpositionFrame& frame) { return write_all(fd, encode_frame(frame)); }

int receive_frames(int fd, const sigset_t& signals,
                   const std::function<void(ExpositionFrame)>& on_frame,
                   const std::function<void()>& on_reload) {
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    log::error("serving process: signalfd", {{"err", errno_message(errno)}});
    return 1;
  }
  FrameDecoder decoder;
  std::string chunk(std::size_t{1} << 16, '\0');
  int status = 1;
  for (bool running = true; running;) {
    pollfd wait[2] = {{fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
    if (poll(wait, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("serving process: poll", {{"err", errno_message(errno)}});
      break;
    }
    if ((wait[1].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      if (::read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        if (info.ssi_signo == SIGHUP) {
          on_reload();
        } else if (info.ssi_signo == SIGTERM) {
          status = 0;
          running = false;
          continue;
        }
      }
    }
    if ((wait[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      log::error("serving process: the collecting process is gone; stopping");
      break;
    }
    decoder.feed(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
    for (;;) {
      Result<std::optional<ExpositionFrame>> frame = decoder.next();
      if (!frame) {
        log::error("serving process: stopping", {{"err", frame.error()}});
        running = false;
        break;
      }
      if (!frame.value()) break;
      on_frame(std::move(*frame.value()));
    }
  }
  ::close(signal_fd);
  return status;
}

}  // namespace port_exporter
