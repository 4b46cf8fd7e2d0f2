// SPDX-License-Identifier: Apache-2.0
#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace port_exporter {
namespace {

using std::chrono::milliseconds;

// The error text of an invalid config, or "<valid>" so that a failed expectation shows it.
std::string errors_of(std::string_view yaml) {
  const Result<Config> result = parse_config(yaml, "config.yml");
  return result.ok() ? "<valid>" : result.error();
}

Config parse_ok(std::string_view yaml) {
  const Result<Config> result = parse_config(yaml, "config.yml");
  EXPECT_TRUE(result.ok()) << result.error();
  return result.ok() ? *result : Config{};
}

// A file in the test's temp directory, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(std::string_view content)
      : path_(std::filesystem::path(::testing::TempDir()) /
              ("config_test_" + std::to_string(::getpid()) + ".yml")) {
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// ---- valid configs

TEST(ConfigTest, DefaultConfigWatchesMaoPortOnTcpAndUdpExpectingAbsent) {
  const Config config = default_config();
  EXPECT_EQ(config.interval, std::chrono::seconds(15));
  EXPECT_EQ(config.namespaces, NamespaceMode::kHost);
  ASSERT_EQ(config.ports.size(), 1u);
  const PortPolicy& mao = config.ports[0];
  EXPECT_EQ(mao.port, 2908);
  EXPECT_EQ(mao.protocols, (std::vector<Protocol>{Protocol::kTcp, Protocol::kUdp}));
  EXPECT_EQ(mao.expect, Expect::kAbsent);
  EXPECT_EQ(mao.description, "IANA 'mao': no known protocol, nothing should listen here");
  EXPECT_TRUE(mao.allowed_processes.empty());
}

TEST(ConfigTest, ParsesEveryKeyToExactValues) {
  const Config config = parse_ok(
      "interval: 1m30s\n"
      "namespaces: host\n"
      "ports:\n"
      "  - port: 22\n"
      "    protocols: [tcp]\n"
      "    expect: present\n"
      "    description: \"ssh\"\n"
      "    allowed_processes: [sshd, systemd-resolve]\n"
      "  - port: 53\n"
      "    protocols: [udp, tcp]\n"
      "    expect: any\n");
  EXPECT_EQ(config.interval, milliseconds(90'000));
  EXPECT_EQ(config.namespaces, NamespaceMode::kHost);
  ASSERT_EQ(config.ports.size(), 2u);
  PortPolicy ssh;
  ssh.port = 22;
  ssh.protocols = {Protocol::kTcp};
  ssh.expect = Expect::kPresent;
  ssh.description = "ssh";
  ssh.allowed_processes = {"sshd", "systemd-resolve"};
  EXPECT_EQ(config.ports[0], ssh);
  PortPolicy dns;
  dns.port = 53;
  dns.protocols = {Protocol::kUdp, Protocol::kTcp};
  dns.expect = Expect::kAny;
  EXPECT_EQ(config.ports[1], dns);
}

TEST(ConfigTest, OmittedKeysTakeTheirDefaults) {
  const Config config = parse_ok("ports:\n  - port: 2908\n");
  ASSERT_EQ(config.ports.size(), 1u);
  PortPolicy expected;
  expected.port = 2908;
  EXPECT_EQ(config.ports[0], expected);
  EXPECT_EQ(config.ports[0].protocols, (std::vector<Protocol>{Protocol::kTcp, Protocol::kUdp}));
  EXPECT_EQ(config.ports[0].description, "");
  EXPECT_EQ(config.interval, std::chrono::seconds(15));
  EXPECT_EQ(config.namespaces, NamespaceMode::kHost);
}

TEST(ConfigTest, DesignDocExampleEqualsDefaultConfig) {
  const Config config = parse_ok(
      "interval: 15s            # how often sockets are counted (1s .. 1h)\n"
      "namespaces: host\n"
      "ports:\n"
      "  - port: 2908\n"
      "    protocols: [tcp, udp]    # default [tcp, udp]\n"
      "    expect: absent           # absent (default) | present | any\n"
      "    description: \"IANA 'mao': no known protocol, nothing should listen here\"\n"
      "    allowed_processes: []    # with expect: present\n");
  EXPECT_EQ(config, default_config());
}

TEST(ConfigTest, ConnectionStatesDefaultToAllTenInDesignOrder) {
  const Config config = parse_ok("ports:\n  - port: 2908\n");
  EXPECT_EQ(config.connection_states,
            (std::vector<TcpState>{TcpState::kEstablished, TcpState::kSynSent, TcpState::kSynRecv,
                                   TcpState::kFinWait1, TcpState::kFinWait2, TcpState::kTimeWait,
                                   TcpState::kClose, TcpState::kCloseWait, TcpState::kLastAck,
                                   TcpState::kClosing}));
  EXPECT_EQ(default_config().connection_states, config.connection_states);
}

TEST(ConfigTest, ConnectionStatesKeepTheNamedOnesInDesignOrder) {
  const Config config = parse_ok(
      "connection_states: [close_wait, established, time_wait, syn_recv]\n"
      "ports:\n  - port: 2908\n");
  EXPECT_EQ(config.connection_states,
            (std::vector<TcpState>{TcpState::kEstablished, TcpState::kSynRecv, TcpState::kTimeWait,
                                   TcpState::kCloseWait}));
  // Same states, other order: the same config (a reload that only reorders changes nothing).
  EXPECT_EQ(config, parse_ok("connection_states: [established, syn_recv, time_wait, close_wait]\n"
                             "ports:\n  - port: 2908\n"));
}

TEST(ConfigTest, RejectsUnknownConnectionStateListingValidValues) {
  EXPECT_EQ(errors_of("connection_states: [established, listen]\nports:\n  - port: 1\n"),
            "config.yml:1:34: connection_states[1]: \"listen\" is not valid; valid values: "
            "established, syn_sent, syn_recv, fin_wait1, fin_wait2, time_wait, close, "
            "close_wait, last_ack, closing");
}

TEST(ConfigTest, RejectsDuplicateEmptyAndScalarConnectionStates) {
  EXPECT_EQ(errors_of("connection_states: [time_wait, time_wait]\nports:\n  - port: 1\n"),
            "config.yml:1:32: connection_states[1]: duplicate state time_wait (first at 1:21)");
  EXPECT_EQ(errors_of("connection_states: []\nports:\n  - port: 1\n"),
            "config.yml:1:20: connection_states: empty list; name at least one state (omit the "
            "key for all)");
  EXPECT_EQ(errors_of("connection_states: established\nports:\n  - port: 1\n"),
            "config.yml:1:20: connection_states: expected a list of states such as "
            "[established], got \"established\"");
}

TEST(ConfigTest, AcceptsFlowStyleEntriesAndNumericDescription) {
  const Config config = parse_ok("ports: [{port: 80, protocols: [tcp], description: 404}]");
  ASSERT_EQ(config.ports.size(), 1u);
  EXPECT_EQ(config.ports[0].port, 80);
  EXPECT_EQ(config.ports[0].description, "404");
}

TEST(ConfigTest, RejectsAnchorsAndAliasesWithTheirPositions) {
  // An alias shares a node: a few KB of aliases can expand to gigabytes when walked.
  EXPECT_EQ(errors_of("ports:\n"
                      "  - {port: 80, protocols: &web [tcp]}\n"
                      "  - {port: 443, protocols: *web}\n"),
            "config.yml:2:27: ports[0].protocols: anchors (&name) are not supported: write the "
            "value out\n"
            "config.yml:3:28: ports[1].protocols: aliases (*name) are not supported: write the "
            "value out (an alias can make a small file expand to gigabytes)");
}

TEST(ConfigTest, AcceptsIntervalAtBothEndsOfItsRange) {
  EXPECT_EQ(parse_ok("interval: 1s\nports: [{port: 1}]").interval, std::chrono::seconds(1));
  EXPECT_EQ(parse_ok("interval: 1h\nports: [{port: 1}]").interval, std::chrono::hours(1));
  EXPECT_EQ(parse_ok("interval: 60m\nports: [{port: 65535}]").interval, std::chrono::hours(1));
}

TEST(ConfigTest, AllowsSamePortOnDifferentProtocolsInSeparateEntries) {
  const Config config = parse_ok(
      "ports:\n"
      "  - {port: 53, protocols: [tcp], expect: present}\n"
      "  - {port: 53, protocols: [udp], expect: any}\n");
  EXPECT_EQ(config.ports.size(), 2u);
}

TEST(ConfigTest, AcceptsProcessNameOfExactly15Characters) {
  const Config config =
      parse_ok("ports:\n  - {port: 53, expect: present, allowed_processes: [systemd-resolve]}\n");
  EXPECT_EQ(config.ports[0].allowed_processes, std::vector<std::string>{"systemd-resolve"});
}

TEST(ConfigTest, AcceptsEmptyAllowedProcessesWithExpectAbsent) {
  EXPECT_EQ(parse_ok("ports:\n  - {port: 1, allowed_processes: []}").ports.size(), 1u);
}

TEST(ConfigTest, ShippedExampleConfigIsValidAndWatchesMao) {
  const Result<Config> result = load_config(FIXTURES_DIR "/../../config/port_exporter.yml");
  ASSERT_TRUE(result.ok()) << result.error();
  ASSERT_FALSE(result->ports.empty());
  EXPECT_EQ(result->ports[0], default_config().ports[0]);
  EXPECT_EQ(result->interval, std::chrono::seconds(15));
}

// ---- ports

TEST(ConfigTest, RejectsPortAboveRangeWithPosition) {
  EXPECT_EQ(errors_of("# port_exporter\n"
                      "interval: 15s\n"
                      "namespaces: host\n"
                      "\n"
                      "ports:\n"
                      "  # a typo\n"
                      "  - port: 70000\n"),
            "config.yml:7:11: ports[0].port: 70000 is outside 1..65535");
}

TEST(ConfigTest, RejectsPortZeroAndNegativePort) {
  EXPECT_EQ(errors_of("ports:\n  - port: 0\n  - port: -22\n"),
            "config.yml:2:11: ports[0].port: 0 is outside 1..65535\n"
            "config.yml:3:11: ports[1].port: -22 is outside 1..65535");
}

TEST(ConfigTest, RejectsPortThatOverflowsAsOutsideRange) {
  EXPECT_EQ(errors_of("ports:\n  - port: 99999999999999999999999\n"),
            "config.yml:2:11: ports[0].port: 99999999999999999999999 is outside 1..65535");
}

TEST(ConfigTest, RejectsNonIntegerPort) {
  EXPECT_EQ(errors_of("ports:\n  - port: ssh\n  - port: 22.5\n"),
            "config.yml:2:11: ports[0].port: \"ssh\" is not an integer; expected 1..65535\n"
            "config.yml:3:11: ports[1].port: \"22.5\" is not an integer; expected 1..65535");
}

TEST(ConfigTest, RejectsQuotedPortAsString) {
  EXPECT_EQ(
      errors_of("ports:\n  - port: \"2908\"\n"),
      "config.yml:2:11: ports[0].port: expected an integer 1..65535, got the string \"2908\"");
}

TEST(ConfigTest, RejectsListWherePortIntegerExpected) {
  EXPECT_EQ(errors_of("ports:\n  - port: [22]\n"),
            "config.yml:2:11: ports[0].port: expected an integer 1..65535, got a list");
}

TEST(ConfigTest, RejectsMapWherePortsListExpected) {
  EXPECT_EQ(errors_of("ports:\n  port: 2908\n"),
            "config.yml:2:3: ports: expected a list of port entries, got a map");
}

TEST(ConfigTest, RejectsScalarPortEntry) {
  EXPECT_EQ(errors_of("ports:\n  - 2908\n"),
            "config.yml:2:5: ports[0]: expected a map with at least 'port', got \"2908\"");
}

TEST(ConfigTest, RejectsEntryWithoutPort) {
  EXPECT_EQ(errors_of("ports:\n  - expect: absent\n"),
            "config.yml:2:5: ports[0]: missing required key 'port'");
}

TEST(ConfigTest, RejectsDuplicatePortAndProtocolNamingEarlierEntry) {
  EXPECT_EQ(errors_of("ports:\n"
                      "  - port: 2908\n"
                      "  - port: 22\n"
                      "  - port: 2908\n"
                      "    protocols: [udp]\n"),
            "config.yml:4:11: ports[2].port: duplicate 2908/udp; already configured by ports[0] "
            "at 2:11");
}

TEST(ConfigTest, ReportsEachDuplicatedProtocolOfAPort) {
  EXPECT_EQ(errors_of("ports:\n  - port: 2908\n  - port: 2908\n"),
            "config.yml:3:11: ports[1].port: duplicate 2908/tcp; already configured by ports[0] "
            "at 2:11\n"
            "config.yml:3:11: ports[1].port: duplicate 2908/udp; already configured by ports[0] "
            "at 2:11");
}

TEST(ConfigTest, RejectsEmptyPortsList) {
  EXPECT_EQ(errors_of("interval: 15s\nports: []\n"),
            "config.yml:2:8: ports: empty list; nothing to watch");
}

TEST(ConfigTest, RejectsMissingPorts) {
  EXPECT_EQ(errors_of("interval: 15s\n"),
            "config.yml:1:1: ports: missing; nothing to watch (add a list of port entries)");
}

// ---- keys and nulls

TEST(ConfigTest, RejectsUnknownTopLevelKeyListingAllowedKeys) {
  EXPECT_EQ(errors_of("interval: 15s\nintreval: 30s\nports: [{port: 1}]\n"),
            "config.yml:2:1: intreval: unknown key; allowed keys: interval, namespaces, "
            "connection_states, ports");
}

TEST(ConfigTest, RejectsUnknownPortKeyListingAllowedKeys) {
  EXPECT_EQ(errors_of("ports:\n  - port: 22\n    protocol: [tcp]\n"),
            "config.yml:3:5: ports[0].protocol: unknown key; allowed keys: port, protocols, "
            "expect, description, namespaces, allowed_processes, allowed_executables, "
            "allowed_uids");
}

TEST(ConfigTest, RejectsDuplicateKeyNamingFirstPosition) {
  EXPECT_EQ(errors_of("ports:\n  - port: 22\n    expect: present\n    expect: absent\n"),
            "config.yml:4:5: ports[0].expect: duplicate key (first at 3:5)");
}

TEST(ConfigTest, RejectsDuplicateTopLevelKey) {
  EXPECT_EQ(errors_of("interval: 15s\nports: [{port: 1}]\ninterval: 30s\n"),
            "config.yml:3:1: interval: duplicate key (first at 1:1)");
}

TEST(ConfigTest, RejectsMergeKeyAsUnknown) {
  EXPECT_EQ(errors_of("ports:\n  - <<: {expect: any}\n    port: 22\n"),
            "config.yml:2:5: ports[0].<<: unknown key; allowed keys: port, protocols, expect, "
            "description, namespaces, allowed_processes, allowed_executables, allowed_uids");
}

TEST(ConfigTest, RejectsNonScalarKey) {
  EXPECT_EQ(errors_of("ports: [{port: 1}]\n? [a]\n: 1\n"),
            "config.yml:2:3: expected a plain key, got a list");
}

TEST(ConfigTest, RejectsNullValueAtItsKey) {
  EXPECT_EQ(errors_of("ports:\n  - port:\n    description: ~\n"),
            "config.yml:2:5: ports[0].port: missing value (null); expected an integer 1..65535\n"
            "config.yml:3:5: ports[0].description: missing value (null); expected a string");
}

TEST(ConfigTest, RejectsNullPorts) {
  EXPECT_EQ(errors_of("interval: 15s\nports:\n"),
            "config.yml:2:1: ports: missing value (null); expected a list of port entries");
}

TEST(ConfigTest, RejectsNullPortEntryAtItsList) {
  EXPECT_EQ(errors_of("ports:\n  - port: 1\n  -\n"),
            "config.yml:2:3: ports[1]: missing value (null); expected a map with at least 'port'");
}

// ---- interval

TEST(ConfigTest, RejectsBadIntervalDuration) {
  EXPECT_EQ(errors_of("interval: 15x\nports: [{port: 1}]\n"),
            "config.yml:1:11: interval: \"15x\": unknown unit \"x\"; valid units: h, m, s, ms");
}

TEST(ConfigTest, RejectsIntervalWithoutUnit) {
  EXPECT_EQ(errors_of("interval: 15\nports: [{port: 1}]\n"),
            "config.yml:1:11: interval: \"15\": missing unit after 15; valid units: h, m, s, ms");
}

TEST(ConfigTest, RejectsNegativeInterval) {
  EXPECT_EQ(errors_of("interval: -15s\nports: [{port: 1}]\n"),
            "config.yml:1:11: interval: \"-15s\": negative durations are not allowed");
}

TEST(ConfigTest, RejectsEmptyInterval) {
  EXPECT_EQ(errors_of("interval: \"\"\nports: [{port: 1}]\n"),
            "config.yml:1:11: interval: empty duration; expected a number and a unit, e.g. 15s "
            "or 1m30s");
}

TEST(ConfigTest, RejectsIntervalOutsideOneSecondToOneHour) {
  EXPECT_EQ(errors_of("interval: 500ms\nports: [{port: 1}]\n"),
            "config.yml:1:11: interval: 500ms is outside 1s..1h");
  EXPECT_EQ(errors_of("interval: 1h1ms\nports: [{port: 1}]\n"),
            "config.yml:1:11: interval: 1h1ms is outside 1s..1h");
}

TEST(ConfigTest, RejectsMapAsInterval) {
  EXPECT_EQ(errors_of("interval: {seconds: 15}\nports: [{port: 1}]\n"),
            "config.yml:1:11: interval: expected a duration such as 15s or 1m30s, got a map");
}

// ---- enums

TEST(ConfigTest, RejectsInvalidExpectListingValidValues) {
  EXPECT_EQ(errors_of("ports:\n  - port: 22\n    expect: required\n"),
            "config.yml:3:13: ports[0].expect: \"required\" is not valid; valid values: absent, "
            "present, any");
}

TEST(ConfigTest, RejectsInvalidNamespacesListingValidValues) {
  EXPECT_EQ(errors_of("namespaces: every\nports: [{port: 1}]\n"),
            "config.yml:1:13: namespaces: \"every\" is not valid; valid values: host, all");
}

TEST(ConfigTest, NamespacesAllIsGlobalAndAPortMayOverrideIt) {
  const Config config = parse_ok(
      "namespaces: all\n"
      "ports:\n"
      "  - {port: 22, expect: present, namespaces: host}\n"
      "  - {port: 2908}\n"
      "  - {port: 53, namespaces: all}\n");
  EXPECT_EQ(config.namespaces, NamespaceMode::kAll);
  EXPECT_EQ(config.ports[0].namespaces, NamespaceMode::kHost);
  EXPECT_EQ(config.ports[1].namespaces, std::nullopt);
  EXPECT_EQ(namespace_scope(config, config.ports[0]), NamespaceMode::kHost);
  EXPECT_EQ(namespace_scope(config, config.ports[1]), NamespaceMode::kAll);
  EXPECT_EQ(namespace_scope(config, config.ports[2]), NamespaceMode::kAll);
}

TEST(ConfigTest, PortNamespacesOverrideTheHostDefault) {
  const Config config = parse_ok("ports:\n  - {port: 2908, namespaces: all}\n  - {port: 22}\n");
  EXPECT_EQ(namespace_scope(config, config.ports[0]), NamespaceMode::kAll);
  EXPECT_EQ(namespace_scope(config, config.ports[1]), NamespaceMode::kHost);
}

TEST(ConfigTest, RejectsInvalidPortNamespaces) {
  EXPECT_EQ(errors_of("ports:\n  - {port: 1, namespaces: [all]}\n"),
            "config.yml:2:27: ports[0].namespaces: expected one of host, all, got a list");
}

TEST(ConfigTest, RejectsInvalidProtocolListingValidValues) {
  EXPECT_EQ(
      errors_of("ports:\n  - port: 22\n    protocols: [tcp, sctp]\n"),
      "config.yml:3:22: ports[0].protocols[1]: \"sctp\" is not valid; valid values: tcp, udp");
}

TEST(ConfigTest, RejectsProtocolGivenAsStringInsteadOfList) {
  EXPECT_EQ(errors_of("ports:\n  - port: 22\n    protocols: tcp\n"),
            "config.yml:3:16: ports[0].protocols: expected a list such as [tcp, udp], got \"tcp\"");
}

TEST(ConfigTest, RejectsEmptyProtocolsList) {
  EXPECT_EQ(errors_of("ports:\n  - port: 22\n    protocols: []\n"),
            "config.yml:3:16: ports[0].protocols: empty list; give tcp, udp or both (omit the key "
            "for both)");
}

TEST(ConfigTest, RejectsDuplicateProtocolInOneEntry) {
  EXPECT_EQ(errors_of("ports:\n  - port: 22\n    protocols: [tcp, udp, tcp]\n"),
            "config.yml:3:27: ports[0].protocols[2]: duplicate protocol tcp (first at 3:17)");
}

// ---- allowed_processes

TEST(ConfigTest, RejectsAllowedProcessesWhenExpectIsNotPresent) {
  EXPECT_EQ(errors_of("ports:\n"
                      "  - port: 2908\n"
                      "    allowed_processes: [sshd]\n"
                      "  - port: 8080\n"
                      "    expect: any\n"
                      "    allowed_processes: [java]\n"),
            "config.yml:3:5: ports[0].allowed_processes: only applies with expect: present (this "
            "entry has expect: absent), so it would be silently ignored\n"
            "config.yml:6:5: ports[1].allowed_processes: only applies with expect: present (this "
            "entry has expect: any), so it would be silently ignored");
}

TEST(ConfigTest, RejectsProcessNameLongerThan15Characters) {
  EXPECT_EQ(errors_of("ports:\n"
                      "  - port: 53\n"
                      "    expect: present\n"
                      "    allowed_processes: [systemd-resolved]\n"),
            "config.yml:4:25: ports[0].allowed_processes[0]: \"systemd-resolved\" is 16 "
            "characters long; a process name (the kernel's comm) has at most 15, so it could "
            "never match");
}

// ---- allowed_executables, allowed_uids

TEST(ConfigTest, ParsesExecutablesAndUids) {
  const Config config = parse_ok(
      "ports:\n"
      "  - port: 22\n"
      "    expect: present\n"
      "    allowed_executables: [/usr/sbin/sshd, \"/opt/my app/bin (deleted)\"]\n"
      "    allowed_uids: [0, 4294967294]\n");
  EXPECT_EQ(config.ports[0].allowed_executables,
            (std::vector<std::string>{"/usr/sbin/sshd", "/opt/my app/bin (deleted)"}));
  EXPECT_EQ(config.ports[0].allowed_uids, (std::vector<std::uint32_t>{0, 4294967294u}));
}

TEST(ConfigTest, RejectsRelativeOrEmptyExecutablePaths) {
  EXPECT_EQ(errors_of("ports:\n"
                      "  - port: 22\n"
                      "    expect: present\n"
                      "    allowed_executables: [sshd, \"\", [/bin/x]]\n"),
            "config.yml:4:27: ports[0].allowed_executables[0]: \"sshd\" is not an absolute path; "
            "/proc/<pid>/exe is always one\n"
            "config.yml:4:33: ports[0].allowed_executables[1]: \"\" is not an absolute path; "
            "/proc/<pid>/exe is always one\n"
            "config.yml:4:37: ports[0].allowed_executables[2]: expected an absolute path, got a "
            "list");
}

TEST(ConfigTest, RejectsExecutablePathLongerThanPathMax) {
  const std::string path = "/" + std::string(4095, 'a');
  EXPECT_EQ(
      errors_of("ports:\n  - {port: 22, expect: present, allowed_executables: [" + path + "]}\n"),
      "config.yml:2:55: ports[0].allowed_executables[0]: path is 4096 bytes long; at most "
      "4095");
}

TEST(ConfigTest, RejectsUidsThatAreNotNumbersInRange) {
  EXPECT_EQ(errors_of("ports:\n"
                      "  - port: 22\n"
                      "    expect: present\n"
                      "    allowed_uids: [root, -1, 4294967295, \"0\"]\n"),
            "config.yml:4:20: ports[0].allowed_uids[0]: \"root\" is not a uid 0..4294967294 (a "
            "number, not a name)\n"
            "config.yml:4:26: ports[0].allowed_uids[1]: \"-1\" is not a uid 0..4294967294 (a "
            "number, not a name)\n"
            "config.yml:4:30: ports[0].allowed_uids[2]: \"4294967295\" is not a uid "
            "0..4294967294 (a number, not a name)\n"
            "config.yml:4:42: ports[0].allowed_uids[3]: expected a uid 0..4294967294, got the "
            "string \"0\"");
}

TEST(ConfigTest, RejectsOwnerListsWhenExpectIsNotPresent) {
  EXPECT_EQ(errors_of("ports:\n"
                      "  - port: 2908\n"
                      "    allowed_executables: [/usr/sbin/sshd]\n"
                      "    allowed_uids: [0]\n"),
            "config.yml:3:5: ports[0].allowed_executables: only applies with expect: present "
            "(this entry has expect: absent), so it would be silently ignored\n"
            "config.yml:4:5: ports[0].allowed_uids: only applies with expect: present (this "
            "entry has expect: absent), so it would be silently ignored");
}

TEST(ConfigTest, RejectsEmptyProcessName) {
  EXPECT_EQ(errors_of("ports:\n  - {port: 22, expect: present, allowed_processes: [\"\"]}\n"),
            "config.yml:2:53: ports[0].allowed_processes[0]: empty process name");
}

// ---- document shape

TEST(ConfigTest, ReportsInvalidYamlWithOneBasedPosition) {
  EXPECT_EQ(errors_of("ports: [{port: 1}\ninterval: 15s\n"),
            "config.yml:2:1: invalid YAML: end of sequence flow not found");
}

TEST(ConfigTest, ReportsTabIndentationAsInvalidYaml) {
  const std::string errors = errors_of("ports:\n\t- port: 1\n");
  EXPECT_EQ(errors.rfind("config.yml:2:", 0), 0u) << errors;
  EXPECT_NE(errors.find("invalid YAML: "), std::string::npos) << errors;
}

TEST(ConfigTest, RejectsEmptyDocument) {
  const std::string expected =
      "config.yml:1:1: the config is empty; expected a map with a 'ports' list";
  EXPECT_EQ(errors_of(""), expected);
  EXPECT_EQ(errors_of("# only a comment\n"), expected);
  EXPECT_EQ(errors_of("~\n"), expected);
}

TEST(ConfigTest, RejectsTopLevelThatIsNotAMap) {
  EXPECT_EQ(errors_of("- port: 2908\n"),
            "config.yml:1:1: expected a map at the top level, got a list");
  EXPECT_EQ(errors_of("2908\n"), "config.yml:1:1: expected a map at the top level, got \"2908\"");
}

TEST(ConfigTest, RejectsMoreThanOneDocument) {
  EXPECT_EQ(errors_of("ports: [{port: 1}]\n---\nports: [{port: 2}]\n"),
            "config.yml:2:1: more than one YAML document; expected one");
  EXPECT_EQ(errors_of("ports: [{port: 1}]\n...\nports: [{port: 2}]\n"),
            "config.yml:3:1: more than one YAML document; expected one");
}

TEST(ConfigTest, CollectsAllErrorsSortedByPosition) {
  EXPECT_EQ(errors_of("ports:\n"
                      "  - port: 2908\n"
                      "    expect: maybe\n"
                      "  - port: 2908\n"
                      "    protocols: [tcp]\n"
                      "interval: 0s\n"
                      "namespaces: some\n"
                      "extra: true\n"),
            "config.yml:3:13: ports[0].expect: \"maybe\" is not valid; valid values: absent, "
            "present, any\n"
            "config.yml:4:11: ports[1].port: duplicate 2908/tcp; already configured by ports[0] "
            "at 2:11\n"
            "config.yml:6:11: interval: 0s is outside 1s..1h\n"
            "config.yml:7:13: namespaces: \"some\" is not valid; valid values: host, all\n"
            "config.yml:8:1: extra: unknown key; allowed keys: interval, namespaces, "
            "connection_states, ports");
}

// ---- files

TEST(ConfigTest, LoadConfigNamesTheFileInPositionedErrors) {
  const TempFile file("ports:\n  - port: 70000\n");
  const Result<Config> result = load_config(file.path());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), file.path() + ":2:11: ports[0].port: 70000 is outside 1..65535");
}

TEST(ConfigTest, LoadConfigReadsValidFile) {
  const TempFile file("interval: 30s\nports:\n  - port: 2908\n");
  const Result<Config> result = load_config(file.path());
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->interval, std::chrono::seconds(30));
}

TEST(ConfigTest, LoadConfigReportsEmptyFile) {
  const TempFile file("");
  const Result<Config> result = load_config(file.path());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(),
            file.path() + ":1:1: the config is empty; expected a map with a 'ports' list");
}

TEST(ConfigTest, LoadConfigReportsMissingFileWithStrerror) {
  const Result<Config> result = load_config("/nonexistent/port_exporter.yml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(),
            "/nonexistent/port_exporter.yml: cannot read: No such file or directory");
}

TEST(ConfigTest, LoadConfigReportsUnreadableDirectory) {
  const std::string dir = ::testing::TempDir();
  const Result<Config> result = load_config(dir);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), dir + ": cannot read: Is a directory");
}

TEST(ConfigTest, LoadConfigRefusesAFileThatIsNotRegular) {
  const Result<Config> result = load_config("/dev/null");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), "/dev/null: not a regular file");
}

TEST(ConfigTest, LoadConfigRefusesAHugeFile) {
  const TempFile file(std::string(1024 * 1024 + 1, '#'));
  const Result<Config> result = load_config(file.path());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), file.path() + ": larger than 1024 KiB; not a port_exporter config");
}

TEST(ConfigTest, RejectsInvalidUtf8WithItsPosition) {
  // Every string becomes a label value; Prometheus refuses a scrape with invalid UTF-8.
  EXPECT_EQ(errors_of("ports:\n  - port: 2908\n    description: \"caf\xe9\"\n"),
            "config.yml:3:22: invalid UTF-8 (byte 0xe9)");
  EXPECT_EQ(errors_of("ports:\n  - port: 2908\n    description: \"caf\xc3\xa9\"\n"), "<valid>");
}

TEST(ConfigTest, RejectsMoreThanAThousandPorts) {
  std::string yaml = "ports:\n";
  for (int port = 1; port <= 1001; ++port) yaml += "  - port: " + std::to_string(port) + "\n";
  // Refused by the guard, before yaml-cpp builds the 1001st node.
  EXPECT_EQ(errors_of(yaml), "config.yml:1002:5: ports: more than 1000 entries in one list");
}

// ---- derived values

TEST(ConfigTest, ExpectHasLabelValues) {
  EXPECT_EQ(to_string(Expect::kAbsent), "absent");
  EXPECT_EQ(to_string(Expect::kPresent), "present");
  EXPECT_EQ(to_string(Expect::kAny), "any");
  EXPECT_EQ(to_string(NamespaceMode::kHost), "host");
  EXPECT_EQ(to_string(NamespaceMode::kAll), "all");
}

TEST(ConfigTest, WatchSetIsSortedAndUniquePerProtocol) {
  const Config config = parse_ok(
      "ports:\n"
      "  - {port: 8080, protocols: [tcp]}\n"
      "  - {port: 53, protocols: [udp, tcp], expect: any}\n"
      "  - {port: 2908}\n"
      "  - {port: 22, protocols: [tcp], expect: present}\n");
  const WatchSet set = watch_set(config);
  EXPECT_EQ(set.tcp, (std::vector<std::uint16_t>{22, 53, 2908, 8080}));
  EXPECT_EQ(set.udp, (std::vector<std::uint16_t>{53, 2908}));
}

TEST(ConfigTest, WatchSetMergesSamePortFromSeparateEntries) {
  Config config;
  config.ports.resize(2);
  config.ports[0].port = 9000;
  config.ports[1].port = 9000;
  config.ports[1].protocols = {Protocol::kTcp};
  const WatchSet set = watch_set(config);
  EXPECT_EQ(set.tcp, std::vector<std::uint16_t>{9000});
  EXPECT_EQ(set.udp, std::vector<std::uint16_t>{9000});
}

TEST(ConfigTest, DefaultConfigWatchSetIs2908OnBothProtocols) {
  const WatchSet set = watch_set(default_config());
  EXPECT_EQ(set.tcp, std::vector<std::uint16_t>{2908});
  EXPECT_EQ(set.udp, std::vector<std::uint16_t>{2908});
}

// ---- durations

struct ValidDuration {
  const char* text;
  milliseconds expected;
};

TEST(DurationTest, ParsesValidDurations) {
  const ValidDuration cases[] = {
      {"15s", milliseconds(15'000)},
      {"1m", milliseconds(60'000)},
      {"500ms", milliseconds(500)},
      {"1h", milliseconds(3'600'000)},
      {"1m30s", milliseconds(90'000)},
      {"90s", milliseconds(90'000)},
      {"0s", milliseconds(0)},
      {"1h2m3s4ms", milliseconds(3'723'004)},
      {"2h500ms", milliseconds(7'200'500)},
      {"007s", milliseconds(7'000)},
  };
  for (const ValidDuration& c : cases) {
    const Result<milliseconds> result = parse_duration(c.text);
    ASSERT_TRUE(result.ok()) << c.text << ": " << result.error();
    EXPECT_EQ(*result, c.expected) << c.text;
  }
}

struct InvalidDuration {
  const char* text;
  const char* error;
};

TEST(DurationTest, RejectsInvalidDurationsSayingWhy) {
  const InvalidDuration cases[] = {
      {"", "empty duration; expected a number and a unit, e.g. 15s or 1m30s"},
      {"-5s", "\"-5s\": negative durations are not allowed"},
      {"15", "\"15\": missing unit after 15; valid units: h, m, s, ms"},
      {"1m30", "\"1m30\": missing unit after 30; valid units: h, m, s, ms"},
      {"15x", "\"15x\": unknown unit \"x\"; valid units: h, m, s, ms"},
      {"2d", "\"2d\": unknown unit \"d\"; valid units: h, m, s, ms"},
      {"15S", "\"15S\": unknown unit \"S\"; valid units: h, m, s, ms"},
      {"1.5s", "\"1.5s\": expected whole numbers each followed by a unit, e.g. 15s or 1m30s"},
      {"s", "\"s\": expected whole numbers each followed by a unit, e.g. 15s or 1m30s"},
      {"15 s", "\"15 s\": expected whole numbers each followed by a unit, e.g. 15s or 1m30s"},
      {"+5s", "\"+5s\": expected whole numbers each followed by a unit, e.g. 15s or 1m30s"},
      {"30s1m",
       "\"30s1m\": units must go from largest to smallest, each at most once (h, m, s, ms)"},
      {"1m1m", "\"1m1m\": units must go from largest to smallest, each at most once (h, m, s, ms)"},
      {"99999999999999999999s", "\"99999999999999999999s\": too large"},
      {"9223372036854775807h", "\"9223372036854775807h\": too large"},
      {"9223372036854775807ms1ms",
       "\"9223372036854775807ms1ms\": units must go from largest to "
       "smallest, each at most once (h, m, s, ms)"},
  };
  for (const InvalidDuration& c : cases) {
    const Result<milliseconds> result = parse_duration(c.text);
    ASSERT_FALSE(result.ok()) << c.text;
    EXPECT_EQ(result.error(), c.error) << c.text;
  }
}

TEST(DurationTest, AcceptsLargestRepresentableValue) {
  const Result<milliseconds> result = parse_duration("9223372036854775807ms");
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->count(), 9223372036854775807LL);
  EXPECT_FALSE(parse_duration("2562047788015h13m").ok());
}

TEST(DurationTest, FormatsLargestUnitsFirstAndRoundTrips) {
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(15'000)), "15s");
  EXPECT_EQ(format_duration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(format_duration(milliseconds(1'500)), "1s500ms");
  EXPECT_EQ(format_duration(milliseconds(3'600'000)), "1h");
  for (const char* text : {"1h2m3s4ms", "15s", "500ms", "1m30s"}) {
    const Result<milliseconds> parsed = parse_duration(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(format_duration(*parsed), text);
  }
}

}  // namespace
}  // namespace port_exporter
