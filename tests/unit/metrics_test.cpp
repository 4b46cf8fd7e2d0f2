// SPDX-License-Identifier: Apache-2.0
#include "exposition/metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

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
      {{5, {{4321, "nc"}}}});
  state.verdicts = evaluate_policies(config, state.snapshot);
  state.stats.collections = 3;
  state.stats.errors = {1, 0, 2};
  state.stats.last_duration_seconds = 0.25;
  state.stats.last_success_timestamp_seconds = 1700000000;
  state.stats.config_reload_successful = false;
  state.stats.config_reload_success_timestamp_seconds = 1600000000;
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

}  // namespace
}  // namespace port_exporter
