// SPDX-License-Identifier: Apache-2.0
// CollectorLoop: the collection thread. Every `interval` it runs the pipeline (collect())
// and publishes the result's exposition; SIGHUP reloads arrive here too, so config and
// collection have one owner and one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "base/result.h"
#include "config/config.h"
#include "exposition/metrics.h"
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

  // What the last collect_once() published: read it on the thread that collects.
  const ExporterState& state() const { return state_; }

  void start();           // collects now, then every interval, on its own thread
  void request_reload();  // thread-safe, async-signal-unsafe: call from the signal thread
  void stop();            // thread-safe; returns once the thread has exited

  bool ready() const { return ready_.load(); }

 private:
  void run();
  void reload();

  Config config_;
  ConfigLoader reload_config_;
  std::unique_ptr<SocketSource> source_;
  OwnerResolver owners_;
  Exposition& out_;
  ExporterState state_;  // the last good snapshot and verdicts, with the current stats
  std::atomic<bool> ready_{false};

  std::mutex mutex_;  // guards the two requests below
  std::condition_variable wake_;
  bool stop_requested_ = false;
  bool reload_requested_ = false;
  std::thread thread_;
};

}  // namespace port_exporter
