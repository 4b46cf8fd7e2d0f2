// port_exporter: flags -> wiring -> run. No logic lives here.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <iostream>
#include <memory>

#include "app/cli.h"
#include "app/collector_loop.h"
#include "base/log.h"
#include "base/version.h"
#include "config/config.h"
#include "exposition/metrics.h"
#include "exposition/process_metrics.h"
#include "exposition/web.h"
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
  if (options.config_file.empty()) {
    std::cerr << "port_exporter: --check-config needs --config.file\n";
    return kExitConfigError;
  }
  auto config = pe::load_config(options.config_file);
  if (!config) {
    std::cerr << config.error() << "\n";
    return kExitConfigError;
  }
  std::cout << options.config_file << ": valid, " << config->ports.size()
            << (config->ports.size() == 1 ? " port" : " ports") << " watched\n";
  return 0;
}

// Exits 0 like the contract says, also when the collection failed: the failure is logged
// and port_exporter_collect_errors_total in the output says it.
int print_once(pe::CollectorLoop& loop, const std::function<std::string()>& metrics) {
  loop.collect_once();
  std::cout << metrics() << std::flush;
  return 0;
}

// Waits on the blocked signals: SIGHUP reloads, SIGTERM/SIGINT return.
void wait_for_signals(const sigset_t& signals, pe::CollectorLoop& loop) {
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      pe::log::info("SIGHUP: reloading config");
      loop.request_reload();
      continue;
    }
    pe::log::info("shutting down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    return;
  }
}

// SIGTERM must end the process within a second. A collection in progress (a long /proc
// walk) and civetweb's stop (it waits out its listener's poll timeout, up to 2 s) get
// 800 ms; past that the process exits anyway: it writes nothing that could be left half
// done, and the kernel closes its sockets.
void shut_down(pe::CollectorLoop& loop, std::unique_ptr<pe::WebServer> web) {
  auto stopped = std::async(std::launch::async, [&loop, &web] {
    loop.stop();
    web.reset();
  });
  if (stopped.wait_for(std::chrono::milliseconds(800)) == std::future_status::timeout) {
    std::fflush(nullptr);
    std::_Exit(0);
  }
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

  auto config = load(options);
  if (!config) {
    std::cerr << config.error() << "\n";
    pe::log::error("invalid config; not starting", {{"file", options.config_file}});
    return kExitConfigError;
  }

  if (!options.once) {  // a bad address is a flag error (exit 2), found before any work
    if (auto listen = pe::civetweb_listening_port(options.listen_address); !listen) {
      std::cerr << "port_exporter: " << listen.error() << "\n";
      return kExitConfigError;
    }
  }

  pe::Exposition exposition;
  pe::CollectorLoop loop(
      config.value(), [&options] { return load(options); }, pe::open_socket_source(options.procfs),
      pe::OwnerResolver(options.procfs), exposition);
  // What a scrape gets: the text serialized at the last collection, then process_* now.
  const std::function<std::string()> metrics = [&exposition] {
    const pe::Result<pe::ProcessStats> process = pe::read_process_stats();
    return *exposition.text() +
           (process ? pe::serialize(pe::render_process_metrics(*process)) : std::string());
  };
  if (options.once) return print_once(loop, metrics);

  // Block the signals before any thread starts, so every thread inherits the mask and only
  // sigwait() below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  pe::WebServer::Settings settings{options.listen_address, options.telemetry_path,
                                   [&loop] { return loop.ready(); }, metrics};
  auto web = pe::WebServer::start(settings);
  if (!web) {
    pe::log::error("cannot start the web server", {{"err", web.error()}});
    return 1;
  }
  std::string bound;
  for (int port : (*web)->ports()) bound += (bound.empty() ? "" : ",") + std::to_string(port);
  pe::log::info("listening", {{"address", options.listen_address},
                              {"port", bound},
                              {"telemetry_path", options.telemetry_path},
                              {"watched_ports", std::to_string(config->ports.size())},
                              {"version", pe::kVersion}});
  loop.start();
  wait_for_signals(signals, loop);
  shut_down(loop, std::move(web).value());
  return 0;
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
