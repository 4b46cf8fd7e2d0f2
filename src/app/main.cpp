// SPDX-License-Identifier: Apache-2.0
// port_exporter: flags -> wiring -> run. No logic lives here.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "app/cli.h"
#include "app/close_event_reader.h"
#include "app/collector_loop.h"
#include "app/serving_process.h"
#include "base/log.h"
#include "base/version.h"
#include "config/config.h"
#include "exposition/frame.h"
#include "exposition/gzip.h"
#include "exposition/http_metrics.h"
#include "exposition/metrics.h"
#include "exposition/process_metrics.h"
#include "exposition/web.h"
#include "kernel/capabilities.h"
#include "kernel/closed_attempts_probe.h"
#include "kernel/destroy_subscription.h"
#include "kernel/identity_resolver.h"
#include "kernel/namespace_sweep.h"
#include "kernel/owners.h"
#include "kernel/process_stats.h"
#include "kernel/source_factory.h"

namespace pe = port_exporter;

namespace {

constexpr int kExitConfigError = 2;

pe::Result<pe::Config> load(const pe::Options& options) {
  if (options.config_file.empty()) return pe::default_config();
  return pe::load_config(options.config_file);
}

int check_config(const pe::Options& options) {
  if (options.config_file.empty() && options.web_config_file.empty()) {
    std::cerr << "port_exporter: --check-config needs --config.file or --web.config.file\n";
    return kExitConfigError;
  }
  int status = 0;
  if (!options.config_file.empty()) {
    if (auto config = pe::load_config(options.config_file); !config) {
      std::cerr << config.error() << "\n";
      status = kExitConfigError;
    } else {
      std::cout << options.config_file << ": valid, " << config->ports.size()
                << (config->ports.size() == 1 ? " port" : " ports") << " watched\n";
    }
  }
  if (!options.web_config_file.empty()) {
    if (auto web = pe::check_web_config(options.web_config_file); !web) {
      std::cerr << web.error() << "\n";
      status = kExitConfigError;
    } else {
      std::cout << options.web_config_file << ": valid web config\n";
    }
  }
  return status;
}

// Without these, other users' listeners show pid="unknown" and fail every owner list: say
// so once at start, next to port_exporter_unattributed_listeners.
void warn_if_owner_lookup_is_blind() {
  const auto effective = pe::effective_capabilities();
  if (!effective) {
    pe::log::warn("cannot read the capabilities", {{"err", effective.error()}});
    return;
  }
  const auto missing = pe::missing_capabilities(
      *effective, {pe::Capability::kDacReadSearch, pe::Capability::kSysPtrace});
  if (missing.empty()) return;
  pe::log::warn(
      "owner lookup is blind to other users' processes: their listeners get pid=\"unknown\", "
      "count in port_exporter_unattributed_listeners and fail every allow-list",
      {{"missing_capabilities", pe::join(missing)}});
}

// Exits 0 like the contract says, also when the collection failed: the failure is logged
// and port_exporter_collect_errors_total in the output says it.
int print_once(pe::CollectorLoop& loop, const std::function<std::string()>& metrics) {
  loop.collect_once();
  std::cout << metrics() << std::flush;
  return 0;
}

// The serving process (a child, see app/serving_process.h): no privilege, no kernel socket;
// it serves the exposition frames the collector sends. SIGTERM stops the web server (its
// listeners close, requests being read are dropped, responses being written are cut within
// civetweb's 100 ms poll slice), then it returns and exits through std::exit.
int serve(const pe::Options& options, const sigset_t& signals, int fd) {
  if (auto error = pe::drop_privileges()) {
    pe::log::error("not serving", {{"err", error->message}});
    return 1;
  }
  pe::LatestFrame latest;
  // Set once the server runs; its counters (refused connections, scrapes) end each scrape.
  std::atomic<const pe::WebServer*> running{nullptr};
  pe::WebServer::Settings settings;
  settings.listen_addresses = options.listen_addresses;
  settings.telemetry_path = options.telemetry_path;
  settings.web_config_file = options.web_config_file;
  settings.ready = [&latest] { return latest.ready(); };
  // The cgroup's task limit (systemd TasksMax, a pod's pids limit) is shared with the
  // collector: workers leave it room. The rlimits are read by the web server itself.
  {
    rlimit fds{}, threads{};
    getrlimit(RLIMIT_NOFILE, &fds);
    getrlimit(RLIMIT_NPROC, &threads);
    const auto soft = [](const rlimit& l) {
      return l.rlim_cur == RLIM_INFINITY ? 0ULL : static_cast<unsigned long long>(l.rlim_cur);
    };
    settings.threads = pe::worker_threads(soft(fds), soft(threads), pe::cgroup_pids_max());
  }
  // The text as the collector serialized it, deflated once per frame; process_* and the
  // server's own counters now.
  settings.metrics = [&latest, &running](bool gzip) {
    const pe::Result<pe::ProcessStats> stats = pe::read_process_stats();
    std::string tail = stats ? pe::serialize(pe::render_process_metrics(*stats)) : std::string();
    if (const pe::WebServer* server = running.load()) {
      tail += pe::serialize(pe::render_http_metrics(server->counters()));
    }
    if (gzip) return pe::gzip_with_tail(*latest.gzip(), tail);
    return *latest.text() + tail;
  };
  auto web = pe::WebServer::start(settings);
  if (!web) {
    pe::log::error("cannot start the web server", {{"err", web.error()}});
    return 1;
  }
  running = web->get();
  std::string bound;
  for (int port : (*web)->ports()) bound += (bound.empty() ? "" : ",") + std::to_string(port);
  if (auto error = pe::restrict_syscalls()) {
    pe::log::error("not serving", {{"err", error->message}});
    return 1;
  }
  std::string addresses;
  for (const auto& a : options.listen_addresses) addresses += (addresses.empty() ? "" : ",") + a;
  pe::log::info("listening", {{"address", addresses},
                              {"tls", (*web)->tls() ? "true" : "false"},
                              {"port", bound},
                              {"telemetry_path", options.telemetry_path},
                              {"uid", std::to_string(getuid())},
                              {"workers", std::to_string((*web)->threads())},
                              {"max_connections_per_client",
                               std::to_string((*web)->max_connections_per_client())},
                              {"version", pe::kVersion}});
  const int status = pe::receive_frames(
      fd, signals, [&latest](pe::ExpositionFrame frame) { latest.store(std::move(frame)); },
      [&web] {
        pe::WebServer& server = **web;
        if (auto reloaded = server.reload_web_config(); !reloaded) {
          pe::log::error("web config reload failed; keeping the running one",
                         {{"err", reloaded.error()}});
        } else if (!server.settings().web_config_file.empty()) {
          pe::log::info("web config reloaded", {{"file", server.settings().web_config_file}});
        }
      });
  running = nullptr;
  web.value().reset();  // mg_stop: joins every civetweb thread
  pe::log::info("the serving process stopped", {{"status", std::to_string(status)}});
  return status;
}

// The host namespace's destroy-notification subscription and its reader thread. Without it
// (the subscription failed) the exporter still runs: the close counters stay at 0 and
// port_exporter_event_subscriptions says 0. PORT_EXPORTER_EVENTS_KERNEL_FILTER=off (for
// the benchmark) leaves the port filtering to user space.
std::unique_ptr<pe::CloseEventReader> start_close_events(const pe::Config& config) {
  std::vector<std::unique_ptr<pe::DestroySubscription>> subscriptions;
  auto host = pe::DestroySubscription::open("host");
  if (host) {
    subscriptions.push_back(std::move(host).value());
  } else {
    pe::log::warn("no destroy notifications; closes are not counted", {{"err", host.error()}});
  }
  pe::CloseEventReader::Options options;
  const char* filter = std::getenv("PORT_EXPORTER_EVENTS_KERNEL_FILTER");
  options.kernel_filter = filter == nullptr || std::string_view(filter) != "off";
  auto reader = pe::CloseEventReader::start(std::move(subscriptions), pe::watch_set(config),
                                            std::move(options));
  if (!reader) {
    pe::log::warn("no close event reader; closes are not counted", {{"err", reader.error()}});
    return nullptr;
  }
  return std::move(reader).value();
}

// Whether the serving process has ended, and how: nullopt while it runs.
std::optional<int> reap(pid_t pid, bool wait) {
  int status = 0;
  const pid_t done = waitpid(pid, &status, wait ? 0 : WNOHANG);
  if (done != pid) return std::nullopt;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Waits on the blocked signals: SIGHUP reloads, SIGTERM/SIGINT return 0, the serving
// process ending returns 0 when it was stopped deliberately (SIGTERM to the whole group,
// as systemd sends it), else 1: a half-exporter that collects but cannot serve must not
// stay up.
int wait_for_signals(const sigset_t& signals, pe::CollectorLoop& loop, pid_t serving) {
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      pe::log::info("SIGHUP: reloading config");
      loop.request_reload();
      kill(serving, SIGHUP);
      continue;
    }
    if (signal == SIGCHLD) {
      const std::optional<int> status = reap(serving, false);
      if (!status) continue;
      if (*status == 0) {
        pe::log::info("the serving process stopped; shutting down");
        return 0;
      }
      pe::log::error("the serving process died; exiting", {{"status", std::to_string(*status)}});
      return 1;
    }
    pe::log::info("shutting down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    return 0;
  }
}

// SIGTERM must end the process within a second. The serving process stops in ~0.2 s
// (civetweb's poll slice, scripts/build-civetweb.sh) and a collection in progress (a long
// /proc walk) is waited for; both get 800 ms. Only past that is the server killed and the
// process left through _Exit (it writes nothing that could be left half done), and it says so.
// The collection is stopped on a thread of its own so that the deadline holds; where no
// thread can be started (out of processes or memory, e.g. at the task limit) it is stopped
// here, without the deadline: std::async would throw out of shut_down instead.
int shut_down(pe::CollectorLoop& loop, const pe::ServingProcess& serving, int status) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(800);
  std::mutex mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;
  std::thread stopper;
  try {
    stopper = std::thread([&] {
      loop.stop();
      const std::lock_guard<std::mutex> lock(mutex);
      stopped = true;
      stopped_cv.notify_all();
    });
  } catch (const std::system_error& e) {
    pe::log::warn("cannot start a thread to stop the collection; stopping it here",
                  {{"err", e.what()}});
  }
  kill(serving.pid, SIGTERM);
  std::optional<int> server_status = reap(serving.pid, false);
  while (!server_status && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    server_status = reap(serving.pid, false);
  }
  if (!server_status && kill(serving.pid, 0) == 0) {
    pe::log::warn("the serving process did not stop within 800 ms; killing it");
    kill(serving.pid, SIGKILL);
    reap(serving.pid, true);
  }
  ::close(serving.fd);
  if (!stopper.joinable()) {
    loop.stop();
    return status;
  }
  std::unique_lock<std::mutex> lock(mutex);
  if (!stopped_cv.wait_until(lock, deadline, [&] { return stopped; })) {
    pe::log::warn("the collection did not stop within 800 ms; exiting without cleanup");
    std::fflush(nullptr);
    std::_Exit(status);
  }
  lock.unlock();
  stopper.join();
  return status;
}

// The optional eBPF probe: its absence (no capability, no BTF, old kernel) is logged once and
// the exporter runs without port_closed_attempts_total.
std::unique_ptr<pe::ClosedAttemptsProbe> load_probe() {
  auto probe = pe::ClosedAttemptsProbe::load();
  if (!probe) {
    pe::log::warn("closed_attempts probe not loaded; port_closed_attempts_total is not exported",
                  {{"reason", probe.error()}});
    return nullptr;
  }
  pe::log::info("closed_attempts probe loaded");
  return std::move(probe).value();
}

// Collects in this process and serves from a forked one until a signal or a death.
int run_daemon(const pe::Options& options, const pe::Config& config) {
  // Block the signals before any thread or child starts, so every thread inherits the mask
  // and only sigwait() (and the serving process's signalfd) receives them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  sigset_t serving_signals;  // SIGINT reaches the whole terminal group: the collector decides
  sigemptyset(&serving_signals);
  for (int s : {SIGHUP, SIGTERM}) sigaddset(&serving_signals, s);

  // Forked before any kernel socket or thread exists, so the child inherits neither.
  auto serving = pe::fork_serving_process(
      [&options, &serving_signals](int fd) { return serve(options, serving_signals, fd); });
  if (!serving) {
    pe::log::error("cannot start the serving process", {{"err", serving.error()}});
    return 1;
  }
  pe::drop_setuid_capabilities();
  pe::Exposition exposition;
  exposition.set_listener([fd = serving->fd](const std::string& text, bool ready) {
    pe::send_frame(fd, {ready, text});  // a failure shows as SIGCHLD
  });
  pe::send_frame(serving->fd, {false, *exposition.text()});  // zeros until the first collection
  // Before the loop: the loop reads its counters until it stops.
  const std::unique_ptr<pe::CloseEventReader> close_events = start_close_events(config);
  pe::CollectorLoop loop(
      config, [&options] { return load(options); },
      std::make_unique<pe::NamespaceSweep>(pe::open_socket_source(options.procfs), options.procfs,
                                           options.netns),
      pe::OwnerResolver(options.procfs), exposition);
  loop.set_identity(std::make_unique<pe::IdentityResolver>(options.procfs, options.podlogs));
  loop.load_probe_on_start(load_probe);  // in the collector, after the fork: not in the server
  loop.set_close_events(close_events.get());
  pe::log::info("collecting", {{"watched_ports", std::to_string(config.ports.size())},
                               {"serving_pid", std::to_string(serving->pid)}});
  loop.start();
  const int status = wait_for_signals(signals, loop, serving->pid);
  return shut_down(loop, *serving, status);
}

int run(int argc, char** argv) {
  auto parsed = pe::parse_args(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed) {
    std::cerr << "port_exporter: " << parsed.error() << " (see --help)\n";
    return kExitConfigError;
  }
  const pe::Options& options = *parsed;
  if (options.show_help) return std::cout << pe::usage(argv[0]), 0;
  if (options.show_version) return std::cout << pe::version_text(), 0;
  if (options.check_config) return check_config(options);
  pe::log::configure(options.log_level, options.log_format);
  warn_if_owner_lookup_is_blind();

  auto config = load(options);
  if (!config) {
    std::cerr << config.error() << "\n";
    pe::log::error("invalid config; not starting", {{"file", options.config_file}});
    return kExitConfigError;
  }

  if (!options.once) {  // a bad address is a flag error (exit 2), found before any work
    for (const std::string& address : options.listen_addresses) {
      if (auto listen = pe::civetweb_listening_port(address); !listen) {
        std::cerr << "port_exporter: " << listen.error() << "\n";
        return kExitConfigError;
      }
    }
    if (!options.web_config_file.empty()) {
      if (auto web = pe::check_web_config(options.web_config_file); !web) {
        std::cerr << web.error() << "\n";
        return kExitConfigError;
      }
    }
  }

  // Not fatal (sockets are still counted), but every owner would say "unknown": say so now;
  // each collection then counts an owner error.
  if (auto procfs = pe::check_procfs(options.procfs); !procfs) {
    pe::log::error("--path.procfs is not procfs", {{"err", procfs.error()}});
  }

  if (options.once) {
    pe::Exposition exposition;
    pe::CollectorLoop loop(
        config.value(), [&options] { return load(options); },
        std::make_unique<pe::NamespaceSweep>(pe::open_socket_source(options.procfs), options.procfs,
                                             options.netns),
        pe::OwnerResolver(options.procfs), exposition);
    loop.set_identity(std::make_unique<pe::IdentityResolver>(options.procfs, options.podlogs));
    loop.attach_probe(load_probe());
    // What a scrape gets: the text serialized at the last collection, then process_* now.
    const std::function<std::string()> metrics = [&exposition] {
      const pe::Result<pe::ProcessStats> process = pe::read_process_stats();
      return *exposition.text() +
             (process ? pe::serialize(pe::render_process_metrics(*process)) : std::string());
    };
    return print_once(loop, metrics);
  }

  const int status = run_daemon(options, *config);
  // The last word, after every object of run_daemon() is destroyed: the normal path, not the
  // _Exit of shut_down().
  pe::log::info("stopped", {{"status", std::to_string(status)}});
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // a bug: say what, rather than std::terminate
    std::cerr << "port_exporter: fatal: " << e.what() << "\n";
    return 1;
  }
}
