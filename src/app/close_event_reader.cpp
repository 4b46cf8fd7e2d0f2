// SPDX-License-Identifier: Apache-2.0
#include "app/close_event_reader.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include "base/log.h"
#include "base/unix_time.h"

namespace port_exporter {
namespace {

// Long enough to cost nothing when idle; stop() does not wait for it (the poller wakes).
constexpr std::chrono::milliseconds kIdleWait{1000};

}  // namespace

Result<std::unique_ptr<CloseEventReader>> CloseEventReader::start(
    std::vector<std::unique_ptr<DestroySubscription>> subscriptions, const WatchSet& watch,
    Options options) {
  auto poller = EventPoller::create();
  if (!poller) return Error{"close event reader: " + poller.error()};
  std::unique_ptr<CloseEventReader> reader(
      new CloseEventReader(std::move(poller).value(), std::move(options)));
  reader->watch_ = watch;
  for (auto& subscription : subscriptions) reader->add_subscription(std::move(subscription));
  reader->thread_ = std::thread([r = reader.get()] { r->run(); });
  return reader;
}

CloseEventReader::CloseEventReader(std::unique_ptr<EventPoller> poller, Options options)
    : poller_(std::move(poller)), options_(std::move(options)) {}

CloseEventReader::~CloseEventReader() {
  stop_ = true;
  poller_->wake();
  if (thread_.joinable()) thread_.join();
}

void CloseEventReader::attach_filter(DestroySubscription& subscription) {
  const Result<bool> filtered = subscription.watch(watch_, options_.kernel_filter);
  if (!filtered) {
    log::error("destroy notifications: cannot subscribe; closes there are not counted",
               {{"netns", subscription.netns()}, {"err", filtered.error()}});
  } else if (options_.kernel_filter && !*filtered) {
    log::warn("destroy notifications: no kernel filter; filtering in user space",
              {{"netns", subscription.netns()}});
  }
}

void CloseEventReader::set_watch(const WatchSet& watch) {
  std::lock_guard<std::mutex> lock(mutex_);
  watch_ = watch;
  for (auto& subscription : subscriptions_) attach_filter(*subscription);
}

void CloseEventReader::add_subscription(std::unique_ptr<DestroySubscription> subscription) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    attach_filter(*subscription);
    log::info("destroy notifications subscribed",
              {{"netns", subscription->netns()},
               {"kernel_filter", options_.kernel_filter ? "true" : "false"}});
    subscriptions_.push_back(std::move(subscription));
  }
  poller_->wake();
}

void CloseEventReader::remove_subscription(const std::string& netns) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_removals_.push_back(netns);
  }
  poller_->wake();
}

CloseCounters CloseEventReader::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

SubscriptionCounts CloseEventReader::subscriptions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {{options_.namespace_mode, subscriptions_.size()}};
}

std::vector<DestroySubscription*> CloseEventReader::current_subscriptions() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string& netns : pending_removals_) {
    subscriptions_.erase(std::remove_if(subscriptions_.begin(), subscriptions_.end(),
                                        [&netns](const auto& s) { return s->netns() == netns; }),
                         subscriptions_.end());
  }
  pending_removals_.clear();
  std::vector<DestroySubscription*> out;
  for (auto& subscription : subscriptions_) out.push_back(subscription.get());
  return out;
}

void CloseEventReader::count(const DestroySubscription& subscription,
                             const DestroySubscription::Batch& batch) {
  const double now = unix_now();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const SocketRecord& closed : batch.closed) {
    count_close(watch_, closed, now, subscription.netns(), counters_);
  }
  counters_.events_lost += batch.lost;
}

void CloseEventReader::run() {
  while (!stop_) {
    try {
      const std::vector<DestroySubscription*> subscriptions = current_subscriptions();
      std::vector<int> fds;
      fds.reserve(subscriptions.size());
      for (const DestroySubscription* s : subscriptions) fds.push_back(s->fd());
      auto ready = poller_->wait(fds, kIdleWait);
      if (!ready) {
        log::error("close event reader: wait failed", {{"err", ready.error()}});
        std::this_thread::sleep_for(kIdleWait);  // bounded retry, never a busy loop
        continue;
      }
      for (const std::size_t i : ready->readable) {
        const DestroySubscription::Batch batch = subscriptions[i]->drain();
        for (const std::string& error : batch.errors) {
          log::warn("destroy notification skipped",
                    {{"netns", subscriptions[i]->netns()}, {"err", error}});
        }
        count(*subscriptions[i], batch);
      }
    } catch (const std::exception& e) {  // exceptions must not end the thread
      log::error("close event reader", {{"err", e.what()}});
      std::this_thread::sleep_for(kIdleWait);
    }
  }
}

}  // namespace port_exporter
