// SPDX-License-Identifier: Apache-2.0
#include "app/collector_loop.h"

#include <chrono>

#include "app/collect.h"
#include "base/log.h"

namespace port_exporter {

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

CollectorLoop::CollectorLoop(Config config, ConfigLoader reload,
                             std::unique_ptr<SocketSource> source, OwnerResolver owners,
                             Exposition& out)
    : config_(std::move(config)),
      reload_config_(std::move(reload)),
      source_(std::move(source)),
      owners_(std::move(owners)),
      out_(out) {
  state_.stats.config_reload_success_timestamp_seconds = unix_now();
}

CollectorLoop::~CollectorLoop() { stop(); }

bool CollectorLoop::collect_once() {
  const auto started = std::chrono::steady_clock::now();
  Result<Collection, CollectFailure> collected = collect(config_, *source_, owners_);
  CollectStats& stats = state_.stats;
  stats.collections++;
  if (collected) {
    for (const CollectFailure& failure : collected->degraded) {
      stats.count_error(failure.source);
      log::warn("owner lookup failed; listener labels say unknown", {{"err", failure.message}});
    }
    state_.snapshot = std::move(collected.value().snapshot);
    state_.verdicts = std::move(collected.value().verdicts);
    stats.last_success_timestamp_seconds = unix_now();
  } else {  // the last good counts stay published; the stats say it failed
    stats.count_error(collected.error().source);
    log::warn("collection failed",
              {{"source", std::string(source_->name())}, {"err", collected.error().message}});
  }
  stats.last_duration_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out_.publish(state_);
  if (collected) ready_ = true;
  return collected.ok();
}

void CollectorLoop::start() {
  thread_ = std::thread([this] { run(); });
}

void CollectorLoop::request_reload() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reload_requested_ = true;
  }
  wake_.notify_one();
}

void CollectorLoop::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CollectorLoop::run() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    bool reload_now = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_until(lock, next, [this] { return stop_requested_ || reload_requested_; });
      if (stop_requested_) return;
      reload_now = reload_requested_;
      reload_requested_ = false;
    }
    if (reload_now) reload();
    collect_once();
    // Fixed-rate ticks; after a stall, skip the missed ones instead of bursting.
    const auto now = std::chrono::steady_clock::now();
    next += config_.interval;
    if (next <= now) next = now + config_.interval;
    if (reload_now) next = now + config_.interval;
  }
}

void CollectorLoop::reload() {
  Result<Config> config = Error{"not loaded"};
  try {  // exceptions must not end the collection thread
    config = reload_config_();
  } catch (const std::exception& e) {
    config = Error{std::string("config reload: ") + e.what()};
  }
  if (!config) {
    state_.stats.config_reload_successful = false;
    log::error("config reload failed; keeping the last good config", {{"err", config.error()}});
    return;
  }
  config_ = std::move(config).value();
  state_.stats.config_reload_successful = true;
  state_.stats.config_reload_success_timestamp_seconds = unix_now();
  log::info("config reloaded", {{"ports", std::to_string(config_.ports.size())},
                                {"interval_ms", std::to_string(config_.interval.count())}});
}

}  // namespace port_exporter
