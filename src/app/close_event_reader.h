// SPDX-License-Identifier: Apache-2.0
// CloseEventReader: the thread that reads the destroy notifications of every subscribed
// namespace and turns them into close counters. Collection and scrapes never wait for it:
// the collection copies the counters (a short lock), a scrape copies serialized bytes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "core/close_counters.h"
#include "kernel/destroy_subscription.h"
#include "kernel/event_poller.h"

namespace port_exporter {

class CloseEventReader {
 public:
  struct Options {
    std::string namespace_mode = "host";  // the label of port_exporter_event_subscriptions
    bool kernel_filter = true;            // false: every notification reaches user space
  };

  // Starts the reader thread; `subscriptions` may be empty (more can be added later).
  static Result<std::unique_ptr<CloseEventReader>> start(
      std::vector<std::unique_ptr<DestroySubscription>> subscriptions, const WatchSet& watch,
      Options options);
  ~CloseEventReader();  // stops the thread and closes the subscriptions
  CloseEventReader(const CloseEventReader&) = delete;
  CloseEventReader& operator=(const CloseEventReader&) = delete;

  // Thread-safe. New watched ports (a reload): user space first, then every kernel filter,
  // so a notification for a new port is never dropped by user space after the kernel
  // passed it.
  void set_watch(const WatchSet& watch);
  // Thread-safe: a subscription for one more namespace (e.g. one created inside it by a
  // thread that entered it), and the removal of one whose namespace is gone.
  void add_subscription(std::unique_ptr<DestroySubscription> subscription);
  void remove_subscription(const std::string& netns);

  // Thread-safe copies for a collection.
  CloseCounters counters() const;
  SubscriptionCounts subscriptions() const;

 private:
  CloseEventReader(std::unique_ptr<EventPoller> poller, Options options);
  void run();
  // Under mutex_: applies pending removals; the fds and subscriptions to poll.
  std::vector<DestroySubscription*> current_subscriptions();
  void attach_filter(DestroySubscription& subscription);  // groups and filter, under mutex_
  void count(const DestroySubscription& subscription, const DestroySubscription::Batch& batch);

  std::unique_ptr<EventPoller> poller_;
  Options options_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mutex_;  // guards everything below
  WatchSet watch_;
  CloseCounters counters_;
  // Owned here; destroyed only by the reader thread (pending_removals_) or after it ends.
  std::vector<std::unique_ptr<DestroySubscription>> subscriptions_;
  std::vector<std::string> pending_removals_;

  std::thread thread_;
};

}  // namespace port_exporter
