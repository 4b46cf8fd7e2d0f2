// SPDX-License-Identifier: Apache-2.0
// Hostile configs (issue 9): each finding as a regression test. The inputs are the ones that
// hung or bloated the loader before yaml_guard; every one must now be refused, fast, with a
// positioned message. The fuzz corpora under tests/fuzz/ replay more of them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "config/config.h"

namespace port_exporter {
namespace {

std::string errors_of(std::string_view yaml) {
  const Result<Config> result = parse_config(yaml, "config.yml");
  return result.ok() ? "<valid>" : result.error();
}

std::string repeat(std::string_view text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

// "p0, p1, ..., p<n-1>"
std::string names(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i == 0 ? "p" : ", p") + std::to_string(i);
  return out;
}

// yaml-cpp 0.7's LoadAll loops forever, allocating, on a line that starts with ','.
TEST(ConfigHostileTest, LineStartingWithCommaIsRefusedNotLoopedOn) {
  EXPECT_EQ(errors_of(",\n"),
            "config.yml:1:1: invalid YAML: unexpected token where a document should start");
  EXPECT_EQ(errors_of(", a: 1\n"),
            "config.yml:1:1: invalid YAML: unexpected token where a document should start");
  EXPECT_EQ(errors_of("ports:\n  - port: 1\n,\n"),
            "config.yml:3:1: invalid YAML: end of map not found");
  EXPECT_EQ(errors_of("ports: [{port: 1}]\n, x\n"),
            "config.yml:2:1: invalid YAML: end of map not found");
}

// The 458 KB file: 200,000 names aliased by 999 ports reached 6 GB.
TEST(ConfigHostileTest, AliasAmplificationIsRefusedBeforeParsing) {
  std::string yaml = "ports:\n  - port: 1\n    expect: present\n    allowed_processes: &n [" +
                     names(200000) + "]\n";
  for (int port = 2; port < 1000; ++port) {
    yaml += "  - {port: " + std::to_string(port) + ", expect: present, allowed_processes: *n}\n";
  }
  const std::string errors = errors_of(yaml);
  EXPECT_EQ(errors,
            "config.yml:4:308844: too much YAML structure: more than 40000 indicator characters "
            "(- : , [ ] { } quotes and the like) and lines; a config of 1000 ports needs about "
            "a third of that");
}

TEST(ConfigHostileTest, AliasOfASmallListIsRefusedAtEachUse) {
  std::string yaml =
      "ports:\n  - port: 1\n    expect: present\n    allowed_processes: &n [" + names(100) + "]\n";
  for (int port = 2; port < 4; ++port) {
    yaml += "  - {port: " + std::to_string(port) + ", expect: present, allowed_processes: *n}\n";
  }
  EXPECT_EQ(errors_of(yaml),
            "config.yml:4:24: ports[0].allowed_processes: anchors (&name) are not supported: "
            "write the value out\n"
            "config.yml:5:51: ports[1].allowed_processes: aliases (*name) are not supported: "
            "write the value out (an alias can make a small file expand to gigabytes)\n"
            "config.yml:6:51: ports[2].allowed_processes: aliases (*name) are not supported: "
            "write the value out (an alias can make a small file expand to gigabytes)");
}

// A 900 KB description is a label value on every port_policy_info series.
TEST(ConfigHostileTest, DescriptionLongerThan1KiBIsRefused) {
  const std::string yaml =
      "ports:\n  - port: 1\n    description: \"" + std::string(900000, 'x') + "\"\n";
  EXPECT_EQ(errors_of(yaml),
            "config.yml:3:18: ports[0].description: 900000 bytes long; at most 1024 (it is a "
            "label value on every port_policy_info series)");
  const std::string at_limit =
      "ports:\n  - port: 1\n    description: \"" + std::string(1024, 'x') + "\"\n";
  EXPECT_EQ(errors_of(at_limit), "<valid>");
}

TEST(ConfigHostileTest, SharedHugeDescriptionIsRefusedAtTheAnchor) {
  std::string yaml =
      "ports:\n  - port: 1\n    description: &d \"" + std::string(9000, 'x') + "\"\n";
  yaml += "  - {port: 2, description: *d}\n";
  EXPECT_EQ(errors_of(yaml),
            "config.yml:3:18: ports[0].description: anchors (&name) are not supported: write the "
            "value out\n"
            "config.yml:4:28: ports[1].description: aliases (*name) are not supported: write the "
            "value out (an alias can make a small file expand to gigabytes)");
}

TEST(ConfigHostileTest, ControlCharactersInDescriptionAreRefused) {
  EXPECT_EQ(errors_of("ports:\n  - port: 1\n    description: \"ok\\e[31mred\"\n"),
            "config.yml:3:18: ports[0].description: control character U+001B at byte 2; label "
            "values must be printable");
  EXPECT_EQ(errors_of("ports:\n  - port: 1\n    description: \"a\\tb\"\n"),
            "config.yml:3:18: ports[0].description: control character U+0009 at byte 1; label "
            "values must be printable");
  EXPECT_EQ(errors_of("ports:\n  - port: 1\n    description: \"a\\x7fb\"\n"),
            "config.yml:3:18: ports[0].description: control character U+007F at byte 1; label "
            "values must be printable");
}

// Nesting used to end in yaml-cpp's DeepRecursion, reported as "invalid YAML: bad file".
TEST(ConfigHostileTest, DeepNestingSaysSo) {
  EXPECT_EQ(errors_of("ports: " + std::string(400, '[') + std::string(400, ']') + "\n"),
            "config.yml:1:23: ports[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested deeper "
            "than 16 lists and maps; a port_exporter config has at most 4 levels");
}

// A 1 MB flow list: yaml-cpp's scanner queued 240 MB of tokens before the first event.
TEST(ConfigHostileTest, DenseFlowListIsRefusedByTheStructureBudget) {
  EXPECT_EQ(errors_of("[" + repeat("a,", 500000) + "a]\n"),
            "config.yml:1:80001: too much YAML structure: more than 40000 indicator characters "
            "(- : , [ ] { } quotes and the like) and lines; a config of 1000 ports needs about "
            "a third of that");
}

TEST(ConfigHostileTest, LongListIsRefusedNamingItsKey) {
  EXPECT_EQ(errors_of("ports:\n  - {port: 1, expect: present, allowed_processes: [" + names(1001) +
                      "]}\n"),
            "config.yml:2:5942: ports[0].allowed_processes: more than 1000 entries in one list");
}

TEST(ConfigHostileTest, ValueCountIsBounded) {
  std::string yaml = "x: [";
  for (int map = 0; map < 26; ++map) {
    yaml += map == 0 ? "{" : ", {";
    for (int key = 0; key < 999; ++key) yaml += (key == 0 ? "k" : ", k") + std::to_string(key);
    yaml += "}";
  }
  yaml += "]\n";
  EXPECT_EQ(errors_of(yaml),
            "config.yml:1:147199: x[25].k10: more than 50000 values in the document");
}

// The budgets must leave room for the largest real config: 1000 ports, ten processes each.
TEST(ConfigHostileTest, LargestRealisticConfigIsAccepted) {
  std::string yaml = "interval: 15s\nports:\n";
  for (int port = 1; port <= 1000; ++port) {
    yaml += "  - port: " + std::to_string(port) +
            "\n    protocols: [tcp, udp]\n    expect: present\n"
            "    description: \"HTTP, the main site: nginx - front, e.g. 'proxy'\"\n"
            "    allowed_processes: [" +
            names(10) + "]\n";
  }
  const Result<Config> config = parse_config(yaml, "config.yml");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->ports.size(), 1000u);
  EXPECT_EQ(config->ports[999].allowed_processes.size(), 10u);
}

// ---- files written in place

class ConfigFile {
 public:
  ConfigFile()
      : path_(std::filesystem::path(::testing::TempDir()) /
              ("config_hostile_" + std::to_string(::getpid()) + ".yml")) {}
  ~ConfigFile() { std::filesystem::remove(path_); }
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::string ports_yaml(int first, int last) {
  std::string out;
  for (int port = first; port <= last; ++port) out += "  - port: " + std::to_string(port) + "\n";
  return out;
}

// The case: a reload during a non-atomic write took 180 of 300 ports as the config.
// Here the writer writes 180 ports, pauses 5 ms, then writes the other 120 in place (the
// loader waits until the file is 100 ms old: this fails only if the writer thread is held
// off the CPU for 95 ms).
TEST(ConfigHostileTest, FileStillBeingWrittenIsReadWhenWhole) {
  ConfigFile file;
  std::ofstream out(file.path());
  out << "ports:\n" << ports_yaml(1, 180) << std::flush;
  std::thread writer([&out] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    out << ports_yaml(181, 300) << std::flush;
  });
  const Result<Config> config = load_config(file.path());
  writer.join();
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->ports.size(), 300u);
}

TEST(ConfigHostileTest, FileThatKeepsChangingIsRefused) {
  ConfigFile file;
  std::ofstream out(file.path());
  out << "ports:\n" << std::flush;
  std::atomic<bool> stop{false};
  std::thread writer([&out, &stop] {
    for (int port = 1; !stop && port < 65535; ++port) {
      out << "  - port: " << port << "\n" << std::flush;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  const Result<Config> config = load_config(file.path());
  stop = true;
  writer.join();
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error(), file.path() +
                                ": changed while being read (5 attempts); write the config to a "
                                "temporary file and rename it into place");
}

}  // namespace
}  // namespace port_exporter
