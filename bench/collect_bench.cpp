// SPDX-License-Identifier: Apache-2.0
// collect_bench: the exporter's collection path in-process, with Google Benchmark, on
// whatever sockets the host has (bench/run.sh opens them). Besides Google Benchmark's own
// flags it takes:
//   --config=PATH         config of the collection (default: the built-in one)
//   --scrape-config=PATH  config of the scrape benchmarks (default: --config)
//   --owners-config=PATH  config of the owner lookup benchmarks, whose watched ports have a
//                         listener (default: --config)
//   --procfs=PATH         procfs root (default /proc)
//   --results=PATH        appends one line per benchmark: name, median real time and CPU
//                         time (in the benchmark's unit), the unit, then key=value counters
//                         (medians when repeated)
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "app/collect.h"
#include "config/config.h"
#include "core/snapshot.h"
#include "exposition/metrics.h"
#include "fixed_source.h"
#include "kernel/netlink_source.h"
#include "kernel/owners.h"
#include "kernel/procfs_source.h"

namespace pe = port_exporter;

namespace {

struct Flags {
  std::string config;
  std::string scrape_config;
  std::string owners_config;
  std::string procfs = "/proc";
  std::string results;
};
Flags g_flags;

pe::Config load_or_die(const std::string& path) {
  if (path.empty()) return pe::default_config();
  auto config = pe::load_config(path);
  if (!config) {
    std::cerr << "collect_bench: " << config.error() << "\n";
    std::exit(2);
  }
  return std::move(config).value();
}

const pe::Config& collect_config() {
  static const pe::Config config = load_or_die(g_flags.config);
  return config;
}

const pe::Config& scrape_config() {
  static const pe::Config config =
      load_or_die(g_flags.scrape_config.empty() ? g_flags.config : g_flags.scrape_config);
  return config;
}

const pe::Config& owners_config() {
  static const pe::Config config =
      load_or_die(g_flags.owners_config.empty() ? g_flags.config : g_flags.owners_config);
  return config;
}

pe::NetlinkSource& netlink() {
  static auto source = [] {
    auto opened = pe::NetlinkSource::open();
    if (!opened) {
      std::cerr << "collect_bench: " << opened.error() << "\n";
      std::exit(1);
    }
    return std::move(opened).value();
  }();
  return *source;
}

std::vector<pe::SocketRecord> dump_or_die(const pe::Config& config) {
  auto records = netlink().dump(pe::watch_set(config));
  if (!records) {
    std::cerr << "collect_bench: " << records.error() << "\n";
    std::exit(1);
  }
  return std::move(records).value();
}

// CPU time of this thread, user and system apart: shows where a collection's time goes
// (our code runs in user time; the kernel's walk of its socket tables in system time).
struct ThreadCpu {
  double user_us = 0;
  double system_us = 0;
  static ThreadCpu now() {
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    auto us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + t.tv_usec; };
    return {us(usage.ru_utime), us(usage.ru_stime)};
  }
};

void report_cpu_split(benchmark::State& state, const ThreadCpu& before) {
  const ThreadCpu after = ThreadCpu::now();
  const double n = static_cast<double>(state.iterations());
  state.counters["user_us"] = (after.user_us - before.user_us) / n;
  state.counters["sys_us"] = (after.system_us - before.system_us) / n;
}

int count_processes(const std::string& procfs) {
  DIR* dir = opendir(procfs.c_str());
  if (dir == nullptr) return 0;
  int n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9') ++n;
  }
  closedir(dir);
  return n;
}

pe::Result<pe::OwnerMap> resolve_or_die(pe::OwnerResolver& owners,
                                        const std::vector<std::uint64_t>& inodes) {
  auto found = owners.resolve(inodes);
  if (!found) {
    std::cerr << "collect_bench: " << found.error() << "\n";
    std::exit(1);
  }
  return found;
}

// What one tick of the collection thread does (CollectorLoop::collect_once): the kernel
// dump, the owner lookup (cached), the snapshot, and its exposition text (render+serialize).
void BM_Collection(benchmark::State& state) {
  const pe::Config& config = collect_config();
  pe::OwnerResolver owners(g_flags.procfs);
  const std::size_t records = dump_or_die(config).size();
  resolve_or_die(owners, pe::listener_inodes(config, dump_or_die(config)));  // the first walk
  const std::uint64_t walks_before = owners.walks();
  const ThreadCpu before = ThreadCpu::now();
  for (auto _ : state) {
    auto collected = pe::collect(config, netlink(), owners);
    if (!collected) {
      state.SkipWithError(collected.error().message.c_str());
      break;
    }
    pe::ExporterState exporter_state;
    exporter_state.snapshot = std::move(collected.value().snapshot);
    exporter_state.verdicts = std::move(collected.value().verdicts);
    // What Exposition::publish does: render and serialize once per collection.
    std::string text = pe::serialize(pe::render_metrics(exporter_state));
    benchmark::DoNotOptimize(text);
  }
  report_cpu_split(state, before);
  state.counters["watched_sockets"] = static_cast<double>(records);
  // With listeners: a refresh walk every OwnerResolver::kRefreshEvery collections, else none.
  state.counters["walks_per_collection"] =
      static_cast<double>(owners.walks() - walks_before) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Collection)->Name("collection/full")->Unit(benchmark::kMicrosecond);

// The kernel dump alone: 2 (tcp) or 4 (tcp+udp) filtered sock_diag dumps.
void BM_NetlinkDump(benchmark::State& state) {
  const pe::WatchSet watch = pe::watch_set(collect_config());
  const ThreadCpu before = ThreadCpu::now();
  for (auto _ : state) {
    auto dumped = netlink().dump(watch);
    benchmark::DoNotOptimize(dumped);
  }
  report_cpu_split(state, before);
}
BENCHMARK(BM_NetlinkDump)->Name("collection/netlink_dump")->Unit(benchmark::kMicrosecond);

// Everything after the dump: our user-space share of a collection.
void BM_AfterDump(benchmark::State& state) {
  const pe::Config& config = collect_config();
  const std::vector<pe::SocketRecord> dumped = dump_or_die(config);
  pe::OwnerResolver owners(g_flags.procfs);
  resolve_or_die(owners, pe::listener_inodes(config, dumped));  // the one walk
  pe::test::FixedSource replay(dumped);
  for (auto _ : state) {
    auto collected = pe::collect(config, replay, owners);
    pe::ExporterState exporter_state;
    exporter_state.snapshot = std::move(collected.value().snapshot);
    exporter_state.verdicts = std::move(collected.value().verdicts);
    auto families = pe::render_metrics(exporter_state);
    benchmark::DoNotOptimize(families);
  }
}
BENCHMARK(BM_AfterDump)->Name("collection/after_dump")->Unit(benchmark::kMicrosecond);

// The /proc/net fallback, as netstat-style tools read it: every line of /proc/net/tcp and
// tcp6 (and udp, udp6 if watched) formatted by the kernel, parsed, filtered in user space.
void BM_ProcfsDump(benchmark::State& state) {
  const pe::WatchSet watch = pe::watch_set(collect_config());
  pe::ProcfsSource source(g_flags.procfs);
  const ThreadCpu before = ThreadCpu::now();
  for (auto _ : state) {
    auto dumped = source.dump(watch);
    if (!dumped) {
      state.SkipWithError(dumped.error().c_str());
      break;
    }
    benchmark::DoNotOptimize(dumped);
  }
  report_cpu_split(state, before);
}
BENCHMARK(BM_ProcfsDump)->Name("procfs/dump")->Unit(benchmark::kMicrosecond);

pe::ExporterState scrape_state() {
  const pe::Config& config = scrape_config();
  const std::vector<pe::SocketRecord> dumped = dump_or_die(config);
  pe::OwnerResolver owners(g_flags.procfs);
  resolve_or_die(owners, pe::listener_inodes(config, dumped));
  pe::test::FixedSource replay(dumped);
  auto collected = pe::collect(config, replay, owners);
  pe::ExporterState state;
  state.snapshot = std::move(collected.value().snapshot);
  state.verdicts = std::move(collected.value().verdicts);
  return state;
}

// The exposition text of a state: rendered (render_metrics) and serialized (prometheus-cpp.s
// TextSerializer). Exposition::publish does it once per collection; a scrape copies it.
void BM_Scrape(benchmark::State& state) {
  const pe::ExporterState exporter_state = scrape_state();
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto families = pe::render_metrics(exporter_state);
    const std::string text = pe::serialize(families);
    bytes = text.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["series"] = 0;
  for (const auto& family : pe::render_metrics(exporter_state)) {
    state.counters["series"] += static_cast<double>(family.metric.size());
  }
}
BENCHMARK(BM_Scrape)->Name("scrape/render_serialize")->Unit(benchmark::kMicrosecond);

void BM_Render(benchmark::State& state) {
  const pe::ExporterState exporter_state = scrape_state();
  for (auto _ : state) {
    auto families = pe::render_metrics(exporter_state);
    benchmark::DoNotOptimize(families);
  }
}
BENCHMARK(BM_Render)->Name("scrape/render")->Unit(benchmark::kMicrosecond);

void BM_Serialize(benchmark::State& state) {
  const auto families = pe::render_metrics(scrape_state());
  for (auto _ : state) {
    std::string text = pe::serialize(families);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_Serialize)->Name("scrape/serialize")->Unit(benchmark::kMicrosecond);

// Owner lookup while the set of listeners is unchanged, between two refresh walks: the
// cached (pid, fd) links are re-checked and the names re-read, no walk of /proc. The run
// stops before the resolve that would refresh.
void BM_OwnersCached(benchmark::State& state) {
  const pe::Config& config = owners_config();
  const std::vector<std::uint64_t> inodes = pe::listener_inodes(config, dump_or_die(config));
  pe::OwnerResolver owners(g_flags.procfs);
  resolve_or_die(owners, inodes);  // the first resolve walks once
  for (auto _ : state) {
    auto found = owners.resolve(inodes);
    benchmark::DoNotOptimize(found);
  }
  state.counters["walks"] = static_cast<double>(owners.walks() - 1);  // in the timed resolves
  state.counters["listeners"] = static_cast<double>(inodes.size());
}
BENCHMARK(BM_OwnersCached)
    ->Name("owners/cache_hit")
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(pe::OwnerResolver::kRefreshEvery - 2);

// Owner lookup per collection in the steady state: cache hits plus, every kRefreshEvery
// resolves, the scan of processes started since the last one, averaged.
void BM_OwnersSteady(benchmark::State& state) {
  const pe::Config& config = owners_config();
  const std::vector<std::uint64_t> inodes = pe::listener_inodes(config, dump_or_die(config));
  pe::OwnerResolver owners(g_flags.procfs);
  resolve_or_die(owners, inodes);
  const std::uint64_t walks_before = owners.walks();
  for (auto _ : state) {
    auto found = owners.resolve(inodes);
    benchmark::DoNotOptimize(found);
  }
  state.counters["walks_per_resolve"] =
      static_cast<double>(owners.walks() - walks_before) / static_cast<double>(state.iterations());
  state.counters["refresh_every"] = static_cast<double>(pe::OwnerResolver::kRefreshEvery);
}
BENCHMARK(BM_OwnersSteady)
    ->Name("owners/steady")
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(4 * pe::OwnerResolver::kRefreshEvery);

// A cache miss (a new listener, a stale cached link): the first lookup, which reads the fds of
// the processes of the socket's namespace and uid (root's here: every process bench/run.sh
// starts is root's, so this is every fd of nearly every process); the rest of the namespace
// is read at the next lookup (bench/first_attribution.cpp times both).
void BM_OwnersWalk(benchmark::State& state) {
  const pe::Config& config = owners_config();
  const std::vector<std::uint64_t> inodes = pe::listener_inodes(config, dump_or_die(config));
  for (auto _ : state) {
    pe::OwnerResolver owners(g_flags.procfs);
    auto found = resolve_or_die(owners, inodes);
    benchmark::DoNotOptimize(found);
  }
  state.counters["processes"] = count_processes(g_flags.procfs);
  state.counters["listeners"] = static_cast<double>(inodes.size());
}
BENCHMARK(BM_OwnersWalk)->Name("owners/walk")->Unit(benchmark::kMillisecond);

// Console output as usual, plus the medians in a line-based file for bench/run.sh.
class ResultsReporter : public benchmark::ConsoleReporter {
 public:
  explicit ResultsReporter(const std::string& path) : out_(path, std::ios::app) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (!(single || median) || run.error_occurred || !out_) continue;
      out_ << run.run_name.function_name << ' ' << run.GetAdjustedRealTime() << ' '
           << run.GetAdjustedCPUTime() << ' ' << benchmark::GetTimeUnitString(run.time_unit);
      for (const auto& [name, counter] : run.counters) out_ << ' ' << name << '=' << counter.value;
      out_ << '\n' << std::flush;
    }
  }

 private:
  std::ofstream out_;
};

// Takes our flags out of argv, so Google Benchmark sees only its own.
void parse_own_flags(int& argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&arg](const char* prefix) -> const char* {
      const std::string p = prefix;
      return arg.rfind(p, 0) == 0 ? arg.c_str() + p.size() : nullptr;
    };
    if (const char* v = value("--config=")) {
      g_flags.config = v;
    } else if (const char* v2 = value("--scrape-config=")) {
      g_flags.scrape_config = v2;
    } else if (const char* v5 = value("--owners-config=")) {
      g_flags.owners_config = v5;
    } else if (const char* v3 = value("--procfs=")) {
      g_flags.procfs = v3;
    } else if (const char* v4 = value("--results=")) {
      g_flags.results = v4;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  parse_own_flags(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  if (g_flags.results.empty()) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    ResultsReporter reporter(g_flags.results);
    benchmark::RunSpecifiedBenchmarks(&reporter);
  }
  benchmark::Shutdown();
  return 0;
}
