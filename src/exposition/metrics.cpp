// SPDX-License-Identifier: Apache-2.0
#include "exposition/metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>

#include "base/version.h"

namespace port_exporter {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily family(std::string name, std::string help, MetricType type) {
  return MetricFamily{std::move(name), std::move(help), type, {}};
}

void add(MetricFamily& f, Labels labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

std::string port_label(std::uint16_t port) { return std::to_string(port); }

MetricFamily listeners(const Snapshot& s) {
  auto f = family("port_listeners",
                  "Listening sockets on the port: TCP LISTEN, UDP bound and unconnected.",
                  MetricType::Gauge);
  for (const ListenerCount& c : s.listeners) {
    add(f,
        {{"port", port_label(c.port)},
         {"protocol", std::string(to_string(c.protocol))},
         {"family", std::string(to_string(c.family))}},
        static_cast<double>(c.count));
  }
  return f;
}

MetricFamily connections(const Snapshot& s) {
  auto f = family("port_connections",
                  "Connection sockets whose local (inbound) or remote (outbound) port is the "
                  "port, by state.",
                  MetricType::Gauge);
  for (const ConnectionCount& c : s.connections) {
    add(f,
        {{"port", port_label(c.port)},
         {"protocol", std::string(to_string(c.protocol))},
         {"family", std::string(to_string(c.family))},
         {"direction", std::string(to_string(c.direction))},
         {"state", std::string(to_string(c.state))}},
        static_cast<double>(c.count));
  }
  return f;
}

MetricFamily listener_info(const Snapshot& s) {
  auto f = family("port_listener_info",
                  "One series per distinct listener on a watched port: who listens, bound "
                  "where.",
                  MetricType::Gauge);
  for (const ListenerInfo& l : s.listener_info) {
    add(f,
        {{"port", port_label(l.port)},
         {"protocol", std::string(to_string(l.protocol))},
         {"family", std::string(to_string(l.family))},
         {"address", l.address},
         {"uid", std::to_string(l.uid)},
         {"pid", l.pid == 0 ? std::string("unknown") : std::to_string(l.pid)},
         {"process", l.process},
         {"exe", l.exe},
         {"netns", l.netns},
         {"container_id", l.container_id},
         {"k8s_namespace_name", l.k8s_namespace_name},
         {"k8s_pod_name", l.k8s_pod_name},
         {"k8s_container_name", l.k8s_container_name}},
        1);
  }
  return f;
}

std::vector<MetricFamily> closes(const CloseReport& r) {
  auto listeners = family("port_listeners_closed_total",
                          "Listening or bound-only TCP sockets and unconnected UDP sockets on the "
                          "port that were closed (kernel destroy notifications).",
                          MetricType::Counter);
  for (const ListenerClosedCount& c : r.listeners) {
    add(listeners,
        {{"port", port_label(c.port)},
         {"protocol", std::string(to_string(c.protocol))},
         {"family", std::string(to_string(c.family))}},
        static_cast<double>(c.count));
  }
  auto connections =
      family("port_connections_closed_total",
             "Connection sockets on the port that were closed, by direction.", MetricType::Counter);
  for (const ConnectionClosedCount& c : r.connections) {
    add(connections,
        {{"port", port_label(c.port)},
         {"protocol", std::string(to_string(c.protocol))},
         {"family", std::string(to_string(c.family))},
         {"direction", std::string(to_string(c.direction))}},
        static_cast<double>(c.count));
  }
  auto last = family("port_last_closed_listener_timestamp_seconds",
                     "Unix time when a listener on the port last closed; absent until one did.",
                     MetricType::Gauge);
  auto info = family("port_last_closed_listener_info",
                     "The last listener closed on the port, as the kernel reported it: bind "
                     "address and network namespace; its owner is not reported (uid unknown).",
                     MetricType::Gauge);
  for (const LastClosedListener& l : r.last_listeners) {
    Labels labels{{"port", port_label(l.port)}, {"protocol", std::string(to_string(l.protocol))}};
    add(last, labels, l.listener.unix_time);
    labels.push_back({"family", std::string(to_string(l.listener.family))});
    labels.push_back({"address", l.listener.address});
    labels.push_back({"uid", "unknown"});
    labels.push_back({"netns", l.listener.netns});
    add(info, std::move(labels), 1);
  }
  return {std::move(listeners), std::move(connections), std::move(last), std::move(info)};
}

std::vector<MetricFamily> event_self_metrics(const CloseReport& r) {
  auto lost = family("port_exporter_events_lost_total",
                     "Destroy notifications lost to a full socket buffer.", MetricType::Counter);
  add(lost, {}, static_cast<double>(r.events_lost));
  auto subscriptions =
      family("port_exporter_event_subscriptions",
             "Destroy-notification subscriptions running, by namespace mode.", MetricType::Gauge);
  for (const auto& [mode, count] : r.subscriptions) {
    add(subscriptions, {{"namespace_mode", mode}}, static_cast<double>(count));
  }
  return {std::move(lost), std::move(subscriptions)};
}

// Per configured port and protocol (the verdicts' order): listening sockets without a
// known owner.
MetricFamily unattributed(const std::vector<PortVerdict>& ports, const Snapshot& s) {
  auto f = family("port_exporter_unattributed_listeners",
                  "Listeners whose owner could not be read (missing capability, a socket in "
                  "flight).",
                  MetricType::Gauge);
  for (const PortVerdict& v : ports) {
    const auto count =
        std::count_if(s.listening.begin(), s.listening.end(), [&v](const ListeningSocket& l) {
          return l.port == v.port && l.protocol == v.protocol && l.owners.empty();
        });
    add(f, {{"port", port_label(v.port)}, {"protocol", std::string(to_string(v.protocol))}},
        static_cast<double>(count));
  }
  return f;
}

MetricFamily deferred(const CollectStats& stats) {
  auto f = family("port_exporter_owner_lookups_deferred_total",
                  "Collections that left new listeners unattributed because owner lookup had "
                  "spent its time budget (1% of one core); they are looked up again later.",
                  MetricType::Counter);
  add(f, {}, static_cast<double>(stats.owner_lookups_deferred));
  return f;
}

MetricFamily namespaces(const SweptNamespaces& swept) {
  auto f = family("port_exporter_namespaces",
                  "Network namespaces other than the host's swept at the last collection, by "
                  "how: netlink (a socket created inside with setns), procfs (/proc/<pid>/net), "
                  "none (unreadable).",
                  MetricType::Gauge);
  add(f, {{"mode", "netlink"}}, static_cast<double>(swept.via_netlink));
  add(f, {{"mode", "procfs"}}, static_cast<double>(swept.via_procfs));
  add(f, {{"mode", "none"}}, static_cast<double>(swept.unreadable));
  return f;
}

MetricFamily connections_age(const SweptNamespaces& swept) {
  auto f = family("port_exporter_namespace_connections_age_seconds",
                  "Age of the oldest TCP connection counts held for another network namespace "
                  "swept with netlink: their all-states dumps are rate-limited (listeners are "
                  "dumped at every collection). 0 without such namespaces.",
                  MetricType::Gauge);
  add(f, {}, swept.connections_age_seconds);
  return f;
}

std::vector<MetricFamily> verdicts(const std::vector<PortVerdict>& all) {
  auto unexpected = family("port_unexpected_listeners",
                           "Listeners that break the port's expectation.", MetricType::Gauge);
  auto missing =
      family("port_missing_listeners",
             "1 when the port is expected present and nothing listens, else 0.", MetricType::Gauge);
  auto policy =
      family("port_policy_info", "The configured expectation for the port.", MetricType::Gauge);
  for (const PortVerdict& v : all) {
    Labels labels{{"port", port_label(v.port)}, {"protocol", std::string(to_string(v.protocol))}};
    add(unexpected, labels, static_cast<double>(v.unexpected));
    add(missing, labels, static_cast<double>(v.missing));
    labels.push_back({"expect", std::string(to_string(v.expect))});
    labels.push_back({"description", v.description});
    add(policy, std::move(labels), 1);
  }
  return {std::move(unexpected), std::move(missing), std::move(policy)};
}

std::vector<MetricFamily> self_metrics(const CollectStats& stats) {
  std::vector<MetricFamily> out;
  auto build = family("port_exporter_build_info",
                      "A metric with a constant '1' value labeled by version, revision and "
                      "compiler.",
                      MetricType::Gauge);
  add(build, {{"version", kVersion}, {"revision", kRevision}, {"compiler", kCompiler}}, 1);
  out.push_back(std::move(build));

  auto duration = family("port_exporter_collect_duration_seconds",
                         "Duration of the last collection.", MetricType::Gauge);
  add(duration, {}, stats.last_duration_seconds);
  out.push_back(std::move(duration));

  auto collections =
      family("port_exporter_collections_total", "Collections run.", MetricType::Counter);
  add(collections, {}, static_cast<double>(stats.collections));
  out.push_back(std::move(collections));

  auto errors = family("port_exporter_collect_errors_total", "Failed collections, by source.",
                       MetricType::Counter);
  for (std::size_t i = 0; i < kErrorSources; ++i) {
    add(errors, {{"source", std::string(to_string(static_cast<ErrorSource>(i)))}},
        static_cast<double>(stats.errors[i]));
  }
  out.push_back(std::move(errors));

  auto success = family("port_exporter_last_collect_success_timestamp_seconds",
                        "Unix time of the last successful collection.", MetricType::Gauge);
  add(success, {}, stats.last_success_timestamp_seconds);
  out.push_back(std::move(success));

  auto reload =
      family("port_exporter_config_last_reload_successful",
             "Whether the last configuration reload attempt was successful.", MetricType::Gauge);
  add(reload, {}, stats.config_reload_successful ? 1 : 0);
  out.push_back(std::move(reload));

  auto reload_time =
      family("port_exporter_config_last_reload_success_timestamp_seconds",
             "Unix time of the last successful configuration load.", MetricType::Gauge);
  add(reload_time, {}, stats.config_reload_success_timestamp_seconds);
  out.push_back(std::move(reload_time));
  return out;
}

// Attempts of every configured (port, protocol), per family, summed over the namespaces the
// probe saw; 0 until the first packet. Counters of ports no longer configured are not shown.
MetricFamily closed_attempts(const ClosedAttempts& attempts,
                             const std::vector<PortVerdict>& configured) {
  auto f = family("port_closed_attempts_total",
                  "Packets to the port that found no socket (TCP SYNs answered by a RST, UDP "
                  "datagrams by ICMP port unreachable): scanning or clients of a missing service.",
                  MetricType::Counter);
  for (const PortVerdict& v : configured) {
    for (Family fam : {Family::kIpv4, Family::kIpv6}) {
      std::uint64_t sum = 0;
      for (const AttemptCount& c : attempts.counts) {
        if (c.port == v.port && c.protocol == v.protocol && c.family == fam) sum += c.count;
      }
      add(f,
          {{"port", port_label(v.port)},
           {"protocol", std::string(to_string(v.protocol))},
           {"family", std::string(to_string(fam))}},
          static_cast<double>(sum));
    }
  }
  return f;
}

MetricFamily probe_loaded(const ClosedAttempts& attempts) {
  auto f = family("port_exporter_probe_loaded",
                  "1 when the eBPF probe is loaded and attached; the log says why not.",
                  MetricType::Gauge);
  add(f, {{"probe", "closed_attempts"}}, attempts.probe_loaded ? 1 : 0);
  return f;
}

}  // namespace

std::vector<MetricFamily> render_metrics(const ExporterState& state) {
  std::vector<MetricFamily> out;
  out.push_back(listeners(state.snapshot));
  out.push_back(connections(state.snapshot));
  out.push_back(listener_info(state.snapshot));
  for (auto& f : closes(state.closes)) out.push_back(std::move(f));
  for (auto& f : verdicts(state.verdicts)) out.push_back(std::move(f));
  if (state.closed_attempts.probe_loaded) {
    out.push_back(closed_attempts(state.closed_attempts, state.verdicts));
  }
  out.push_back(unattributed(state.verdicts, state.snapshot));
  out.push_back(deferred(state.stats));
  out.push_back(namespaces(state.namespaces));
  out.push_back(connections_age(state.namespaces));
  for (auto& f : self_metrics(state.stats)) out.push_back(std::move(f));
  out.push_back(probe_loaded(state.closed_attempts));
  for (auto& f : event_self_metrics(state.closes)) out.push_back(std::move(f));
  return out;
}

std::string serialize(const std::vector<MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

Exposition::Exposition() { publish(ExporterState{}); }

void Exposition::publish(const ExporterState& state) {
  auto text = std::make_shared<const std::string>(serialize(render_metrics(state)));
  if (listener_) listener_(*text, state.stats.last_success_timestamp_seconds > 0);
  std::lock_guard<std::mutex> lock(mutex_);
  text_ = std::move(text);
}

void Exposition::publish(ExporterState& state, std::chrono::steady_clock::time_point started) {
  std::vector<MetricFamily> families = render_metrics(state);
  const auto duration = std::find_if(families.begin(), families.end(), [](const MetricFamily& f) {
    return f.name == "port_exporter_collect_duration_seconds";
  });
  std::string text;
  if (duration == families.end() || duration->metric.empty()) {  // not reached: always there
    text = serialize(families);
  } else {
    const std::string before = serialize({families.begin(), duration});
    const std::string after = serialize({std::next(duration), families.end()});
    state.stats.last_duration_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    duration->metric.front().gauge.value = state.stats.last_duration_seconds;
    text = before + serialize({*duration}) + after;
  }
  auto shared = std::make_shared<const std::string>(std::move(text));
  if (listener_) listener_(*shared, state.stats.last_success_timestamp_seconds > 0);
  std::lock_guard<std::mutex> lock(mutex_);
  text_ = std::move(shared);
}

std::shared_ptr<const std::string> Exposition::text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return text_;
}

}  // namespace port_exporter
