#include "app/collector_loop.h"

#include <chrono>

#include "base/log.h"
#include "core/snapshot.h"

namespace port_exporter {

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ErrorSource error_source(std::string_view source_name) {
  return source_name == "procfs" ? ErrorSource::kProcfs : ErrorSource::kNetlink;
}

std::size_t index(ErrorSource s) { return static_cast<std::size_t>(s); }

}  // namespace

CollectorLoop::CollectorLoop(Config config, ConfigLoader reload,
                             std::unique_ptr<SocketSource> source, OwnerResolver owners,
                             StateCollectable& out)
    : config_(std::move(config)),
      reload_config_(std::move(reload)),
      source_(std::move(source)),
      owners_(std::move(owners)),
      out_(out) {
  stats_.config_reload_success_timestamp_seconds = unix_now();
}

CollectorLoop::~CollectorLoop() { stop(); }

bool CollectorLoop::collect_once() {
  const auto started = std::chrono::steady_clock::now();
  const auto finish = [this, started] {
    stats_.last_duration_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  auto records = source_->dump(watch_set(config_));
  stats_.collections++;
  if (!records) {
    stats_.errors[index(error_source(source_->name()))]++;
    log::warn("collection failed",
              {{"source", std::string(source_->name())}, {"err", records.error()}});
    finish();
    publish(out_.latest()->snapshot);  // the last counts stay; the stats say it failed
    return false;
  }
  auto owners = owners_.resolve(listener_inodes(config_, *records));
  if (!owners) {
    stats_.errors[index(ErrorSource::kOwner)]++;
    log::warn("owner lookup failed; listener labels say unknown", {{"err", owners.error()}});
  }
  Snapshot snapshot = build_snapshot(config_, *records, owners ? *owners : OwnerMap{});
  finish();
  stats_.last_success_timestamp_seconds = unix_now();
  publish(std::move(snapshot));
  ready_ = true;
  return true;
}

void CollectorLoop::publish(Snapshot snapshot) {
  out_.publish(std::make_shared<const ExporterState>(ExporterState{std::move(snapshot), stats_}));
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
    stats_.config_reload_successful = false;
    log::error("config reload failed; keeping the last good config", {{"err", config.error()}});
    return;
  }
  config_ = std::move(config).value();
  stats_.config_reload_successful = true;
  stats_.config_reload_success_timestamp_seconds = unix_now();
  log::info("config reloaded", {{"ports", std::to_string(config_.ports.size())},
                                {"interval_ms", std::to_string(config_.interval.count())}});
}

}  // namespace port_exporter
