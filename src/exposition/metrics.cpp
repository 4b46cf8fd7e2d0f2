// SPDX-License-Identifier: Apache-2.0
#include "exposition/metrics.h"

#include <prometheus/text_serializer.h>

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
         {"process", l.process}},
        1);
  }
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

}  // namespace

std::vector<MetricFamily> render_metrics(const ExporterState& state) {
  std::vector<MetricFamily> out;
  out.push_back(listeners(state.snapshot));
  out.push_back(connections(state.snapshot));
  out.push_back(listener_info(state.snapshot));
  for (auto& f : verdicts(state.verdicts)) out.push_back(std::move(f));
  for (auto& f : self_metrics(state.stats)) out.push_back(std::move(f));
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

std::shared_ptr<const std::string> Exposition::text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return text_;
}

}  // namespace port_exporter
