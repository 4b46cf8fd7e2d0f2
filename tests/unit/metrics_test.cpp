// SPDX-License-Identifier: Apache-2.0
#include "exposition/metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>

#include "base/version.h"
#include "fixtures.h"
#include "records.h"

namespace port_exporter {
namespace {

using test::connection;
using test::tcp_listener;

ExporterState known_state() {
  Config config;
  PortPolicy mao;
  mao.port = 2908;
  mao.protocols = {Protocol::kTcp};
  mao.description = "IANA 'mao'";
  PortPolicy ssh;
  ssh.port = 22;
  ssh.protocols = {Protocol::kUdp};
  ssh.expect = Expect::kPresent;
  ssh.allowed_processes = {"sshd"};
  config.ports = {mao, ssh};
  ExporterState state;
  state.snapshot = build_snapshot(
      config,
      {tcp_listener(Family::kIpv4, "0.0.0.0", 2908, 5, 1000),
       connection(Protocol::kTcp, Family::kIpv6, TcpState::kEstablished, 2908, 41000)},
      {{5, {{4321, "nc", "/usr/bin/nc.openbsd"}}}});
  state.verdicts = evaluate_policies(config, state.snapshot);
  state.stats.collections = 3;
  state.stats.errors = {1, 0, 2};
  state.stats.last_duration_seconds = 0.25;
  state.stats.last_success_timestamp_seconds = 1700000000;
  state.stats.config_reload_successful = false;
  state.stats.config_reload_success_timestamp_seconds = 1600000000;
  CloseCounters closes;
  closes.listeners[{2908, Protocol::kTcp, Family::kIpv6}] = 4;
  closes.connections[{2908, Protocol::kTcp, Family::kIpv4, Direction::kInbound}] = 7;
  closes.last_listener[{2908, Protocol::kTcp}] =
      ClosedListener{1700000000.5, Family::kIpv6, "::1", "host"};
  closes.events_lost = 2;
  state.closes = build_close_report(config, closes, {{"host", 1}});
  return state;
}

std::string expose(const ExporterState& state) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, render_metrics(state));
  return out.str();
}

TEST(MetricsTest, ExpositionOfAKnownSnapshotMatchesTheRecordedText) {
  std::string text = expose(known_state());
  // Build identity varies per build; the fixture has placeholders for it.
  const std::string build_line = std::string("port_exporter_build_info{version=\"") + kVersion +
                                 "\",revision=\"" + kRevision + "\",compiler=\"" + kCompiler +
                                 "\"} 1";
  const auto at = text.find(build_line);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, build_line.size(),
               "port_exporter_build_info{version=\"V\",revision=\"R\",compiler=\"C\"} 1");
  EXPECT_EQ(text, test::read_fixture_text("exposition/known_snapshot.prom"));
}

// With the probe loaded: every configured (port, protocol) per family, summed over the
// namespaces the kernel saw, 0 where nothing came; counters of unconfigured ports are hidden.
TEST(MetricsTest, ClosedAttemptsAreSummedOverNamespacesAndZeroForConfiguredPorts) {
  ExporterState state = known_state();
  state.closed_attempts.probe_loaded = true;
  state.closed_attempts.counts = {
      {4026531840U, 2908, Protocol::kTcp, Family::kIpv4, 20},
      {4026532999U, 2908, Protocol::kTcp, Family::kIpv4, 3},
      {4026531840U, 2908, Protocol::kTcp, Family::kIpv6, 7},
      {4026531840U, 2908, Protocol::kUdp, Family::kIpv4, 9},  // udp/2908 is not configured
      {4026531840U, 4000, Protocol::kTcp, Family::kIpv4, 5},  // a port removed by a reload
  };
  const std::string text = expose(state);
  const std::string expected =
      "# TYPE port_closed_attempts_total counter\n"
      "port_closed_attempts_total{port=\"2908\",protocol=\"tcp\",family=\"ipv4\"} 23\n"
      "port_closed_attempts_total{port=\"2908\",protocol=\"tcp\",family=\"ipv6\"} 7\n"
      "port_closed_attempts_total{port=\"22\",protocol=\"udp\",family=\"ipv4\"} 0\n"
      "port_closed_attempts_total{port=\"22\",protocol=\"udp\",family=\"ipv6\"} 0\n"
      "# HELP port_exporter_unattributed_listeners";
  EXPECT_NE(text.find(expected), std::string::npos) << text;
  EXPECT_NE(text.find("port_exporter_probe_loaded{probe=\"closed_attempts\"} 1\n"),
            std::string::npos);
}

TEST(MetricsTest, ClosedAttemptsAreAbsentWhenTheProbeIsNotLoaded) {
  const std::string text = expose(known_state());
  EXPECT_EQ(text.find("port_closed_attempts_total"), std::string::npos);
  EXPECT_NE(text.find("port_exporter_probe_loaded{probe=\"closed_attempts\"} 0\n"),
            std::string::npos);
}

TEST(MetricsTest, CloseCountersStartAtZeroForEveryConfiguredCombination) {
  ExporterState state = known_state();
  Config config;
  config.ports = {PortPolicy{}};
  state.closes = build_close_report(config, {}, {});
  const std::string text = expose(state);
  EXPECT_NE(text.find("port_listeners_closed_total{port=\"0\",protocol=\"udp\",family=\"ipv6\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("port_connections_closed_total{port=\"0\",protocol=\"tcp\",family=\"ipv4\","
                      "direction=\"outbound\"} 0"),
            std::string::npos);
  EXPECT_EQ(text.find("port_last_closed_listener_timestamp_seconds{"), std::string::npos);
  EXPECT_NE(text.find("port_exporter_events_lost_total 0"), std::string::npos);
}

TEST(MetricsTest, EmptyStateStillExposesSelfMetrics) {
  const std::string text = expose(ExporterState{});
  EXPECT_NE(text.find("port_exporter_collections_total 0"), std::string::npos);
  EXPECT_NE(text.find("port_exporter_collect_errors_total{source=\"owner\"} 0"), std::string::npos);
  EXPECT_NE(text.find("port_exporter_config_last_reload_successful 1"), std::string::npos);
}

TEST(MetricsTest, ExpositionIsSerializedOnceAtPublishAndMatchesTheFamilies) {
  Exposition exposition;
  EXPECT_EQ(*exposition.text(), expose(ExporterState{}));  // before any collection
  exposition.publish(known_state());
  const auto text = exposition.text();
  EXPECT_EQ(*text, expose(known_state()));
  EXPECT_EQ(exposition.text(), text);  // the same bytes until the next publish
}

TEST(MetricsTest, ExpositionServesTheLatestPublishedState) {
  Exposition exposition;
  exposition.publish(known_state());
  const auto first = exposition.text();
  EXPECT_NE(first->find("port_listeners{port=\"2908\",protocol=\"tcp\",family=\"ipv4\"} 1"),
            std::string::npos);
  exposition.publish(ExporterState{});
  EXPECT_EQ(*exposition.text(), expose(ExporterState{}));
  EXPECT_EQ(first->find("port_listeners{port=\"2908\",protocol=\"tcp\",family=\"ipv4\"} 1") ==
                std::string::npos,
            false);  // a scrape holding the old text keeps it whole
}

// Issue 9: the duration left out rendering and serialization. Published with its start
// time, the collection's duration runs until the text is serialized, and the text is what
// rendering the state with that duration gives.
TEST(MetricsTest, PublishedDurationRunsFromTheCollectionStartToTheSerializedText) {
  Exposition exposition;
  const auto started = std::chrono::steady_clock::now() - std::chrono::seconds(2);
  const auto before_publish = std::chrono::steady_clock::now();
  ExporterState state = known_state();
  exposition.publish(state, started);
  const double upper =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double lower = std::chrono::duration<double>(before_publish - started).count();
  const std::string text = *exposition.text();
  const std::string name = "\nport_exporter_collect_duration_seconds ";
  const std::size_t at = text.find(name);
  ASSERT_NE(at, std::string::npos) << text;
  const std::string value =
      text.substr(at + name.size(), text.find('\n', at + 1) - at - name.size());
  const double duration = std::stod(value);
  EXPECT_GT(duration, lower);
  EXPECT_LE(duration, upper);
  EXPECT_EQ(state.stats.last_duration_seconds, duration);
  ExporterState expected = known_state();
  expected.stats.last_duration_seconds = duration;
  EXPECT_EQ(text, expose(expected));
}

}  // namespace
}  // namespace port_exporter
