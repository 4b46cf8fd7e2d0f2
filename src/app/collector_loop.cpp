// SPDX-License-Identifier: Apache-2.0
#include "app/collector_loop.h"

#include <chrono>

#include "app/collect.h"
#include "base/log.h"
#include "base/unix_time.h"
#include "core/policy.h"
#include "kernel/namespaces.h"

namespace port_exporter {

namespace {

std::size_t watched_count(const Config& config) {
  const WatchSet set = watch_set(config);
  return set.tcp.size() + set.udp.size();
}

// Valid, but maybe not meant: a file written in place and read half-written parses as a
// shorter list (config.cpp retries a file that changes while read; this catches the rest).
void warn_if_most_ports_dropped(const Config& old_config, const Config& new_config) {
  const std::size_t before = watched_count(old_config);
  const std::size_t after = watched_count(new_config);
  if (after * 2 >= before) return;
  log::warn(
      "config reload drops more than half of the watched ports (port/protocol pairs); "
      "write the config to a temporary file and rename it into place",
      {{"before", std::to_string(before)}, {"after", std::to_string(after)}});
}

}  // namespace

CollectorLoop::CollectorLoop(Config config, ConfigLoader reload,
                             std::unique_ptr<SocketSource> source, OwnerResolver owners,
                             Exposition& out)
    : config_(std::move(config)),
      reload_config_(std::move(reload)),
      source_(std::move(source)),
      owners_(std::move(owners)),
      out_(out),
      host_netns_([] {
        // The host source counts the exporter's own namespace: the probe's "host" too.
        const Result<NetnsId> own = netns_id_of("/proc/self/ns/net");
        return own ? static_cast<std::uint32_t>(own->inode) : 0;
      }()) {
  state_.stats.config_reload_success_timestamp_seconds = unix_now();
}

CollectorLoop::~CollectorLoop() { stop(); }

bool CollectorLoop::collect_once() {
  const auto started = std::chrono::steady_clock::now();
  Result<Collection, CollectFailure> collected =
      collect(config_, *source_, owners_, identity_.get());
  CollectStats& stats = state_.stats;
  stats.collections++;
  stats.owner_lookups_deferred = owners_.deferred();
  if (collected) {
    for (const CollectFailure& failure : collected->degraded) {
      stats.count_error(failure.source);
      log::warn("owner lookup failed; listener labels say unknown", {{"err", failure.message}});
    }
    state_.snapshot = std::move(collected.value().snapshot);
    state_.verdicts = std::move(collected.value().verdicts);
    state_.namespaces = std::move(collected.value().namespaces);
    stats.last_success_timestamp_seconds = unix_now();
  } else {  // the last good counts stay published; the stats say it failed
    stats.count_error(collected.error().source);
    log::warn("collection failed",
              {{"source", std::string(source_->name())}, {"err", collected.error().message}});
  }
  // A copy of the close counters as they are now: the reader thread keeps counting.
  state_.closes = close_events_ != nullptr ? build_close_report(config_, close_events_->counters(),
                                                                close_events_->subscriptions())
                                           : build_close_report(config_, {}, {{"host", 0}});
  read_probe();
  // The published duration runs until the exposition text is serialized.
  out_.publish(state_, started);
  if (collected) ready_ = true;
  return collected.ok();
}

void CollectorLoop::attach_probe(std::unique_ptr<ClosedAttemptsProbe> probe) {
  probe_ = std::move(probe);
  state_.closed_attempts.probe_loaded = probe_ != nullptr;
  watch_probe_ports();
}

void CollectorLoop::watch_probe_ports() {
  if (!probe_) return;
  if (auto watched = probe_->watch(watch_set(config_)); !watched) {
    log::warn("closed_attempts probe: cannot update the watched ports", {{"err", watched.error()}});
  }
}

// The counters stay in the kernel: a failed read keeps the last values published.
void CollectorLoop::read_probe() {
  if (!probe_) return;
  if (auto counts = probe_->read(); counts) {
    state_.closed_attempts.counts = attempts_in_scope(config_, *counts, host_netns_);
  } else {
    log::warn("closed_attempts probe: cannot read its counters", {{"err", counts.error()}});
  }
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
  if (probe_loader_) {
    attach_probe(probe_loader_());
    probe_loader_ = nullptr;
  }
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
  warn_if_most_ports_dropped(config_, *config);
  config_ = std::move(config).value();
  watch_probe_ports();
  if (close_events_ != nullptr) close_events_->set_watch(watch_set(config_));
  state_.stats.config_reload_successful = true;
  state_.stats.config_reload_success_timestamp_seconds = unix_now();
  log::info("config reloaded", {{"ports", std::to_string(config_.ports.size())},
                                {"interval_ms", std::to_string(config_.interval.count())}});
}

}  // namespace port_exporter
