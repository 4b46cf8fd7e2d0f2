// SPDX-License-Identifier: Apache-2.0
// CollectorLoop: the collection thread. Every `interval` it runs the pipeline (collect())
// and publishes the result's exposition; SIGHUP reloads arrive here too, so config and
// collection have one owner and one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "app/close_event_reader.h"
#include "base/result.h"
#include "config/config.h"
#include "exposition/metrics.h"
#include "kernel/closed_attempts_probe.h"
#include "kernel/identity_resolver.h"
#include "kernel/owners.h"
#include "kernel/socket_source.h"

namespace port_exporter {

class CollectorLoop {
 public:
  using ConfigLoader = std::function<Result<Config>()>;

  // `reload` is called on the loop thread after request_reload().
  CollectorLoop(Config config, ConfigLoader reload, std::unique_ptr<SocketSource> source,
                OwnerResolver owners, Exposition& out);
  ~CollectorLoop();
  CollectorLoop(const CollectorLoop&) = delete;
  CollectorLoop& operator=(const CollectorLoop&) = delete;

  // One collection on the caller's thread; publishes the result. False on failure (the
  // last good snapshot stays published and the error counter grows).
  bool collect_once();

  // Hands the loop a loaded probe: it watches the config's ports from now on (and after each
  // reload) and its counters are read at every collection. Call before start().
  void attach_probe(std::unique_ptr<ClosedAttemptsProbe> probe);
  // Or: run `load` on the loop's thread before its first collection (loading takes ~250 ms:
  // a signal that arrives meanwhile is answered at once), then attach what it returns.
  using ProbeLoader = std::function<std::unique_ptr<ClosedAttemptsProbe>()>;
  void load_probe_on_start(ProbeLoader load) { probe_loader_ = std::move(load); }

  // What the last collect_once() published: read it on the thread that collects.
  const ExporterState& state() const { return state_; }

  // Labels listeners with their container and pod from now on. Call before start().
  void set_identity(std::unique_ptr<IdentityResolver> identity) { identity_ = std::move(identity); }

  // The destroy-notification reader whose counters each collection copies, and which gets
  // the watched ports on reload. Optional (none with --once); set before start().
  void set_close_events(CloseEventReader* reader) { close_events_ = reader; }

  void start();           // collects now, then every interval, on its own thread
  void request_reload();  // thread-safe, async-signal-unsafe: call from the signal thread
  void stop();            // thread-safe; returns once the thread has exited

  bool ready() const { return ready_.load(); }

 private:
  void run();
  void reload();
  void watch_probe_ports();
  void read_probe();

  Config config_;
  ConfigLoader reload_config_;
  std::unique_ptr<SocketSource> source_;
  OwnerResolver owners_;
  std::unique_ptr<IdentityResolver> identity_;  // null: no container or pod labels
  std::unique_ptr<ClosedAttemptsProbe> probe_;  // null: not loaded
  ProbeLoader probe_loader_;                    // run once by run(), then cleared
  Exposition& out_;
  std::uint32_t host_netns_;  // the inode probe counters of host-scoped ports must carry
  CloseEventReader* close_events_ = nullptr;
  ExporterState state_;  // the last good snapshot and verdicts, with the current stats
  std::atomic<bool> ready_{false};

  std::mutex mutex_;  // guards the two requests below
  std::condition_variable wake_;
  bool stop_requested_ = false;
  bool reload_requested_ = false;
  std::thread thread_;
};

}  // namespace port_exporter
