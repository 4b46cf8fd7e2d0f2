// SPDX-License-Identifier: Apache-2.0
// The slowloris rows of `make bench`: holds N idle or slow-header (1 byte/s) connections to
// an exporter from 127.0.0.2, re-opened as the server closes them (or opened once), and
// times /metrics and /-/healthy from 127.0.0.1 meanwhile.
//   slowloris PORT idle|slow COUNT reconnect|once PROBES [WARMUP_MS]
// Prints "PATH p50_ms p99_ms max_ms failed open_attackers closed_by_server" per path.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "slow_clients.h"

int main(int argc, char** argv) {
  namespace t = port_exporter::test;
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s PORT idle|slow COUNT reconnect|once PROBES [WARMUP_MS]\n",
                 argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const auto mode = std::string(argv[2]) == "slow" ? t::SlowClients::Mode::kSlowHeader
                                                   : t::SlowClients::Mode::kIdle;
  const int count = std::atoi(argv[3]);
  const bool reconnect = std::string(argv[4]) == "reconnect";
  const int probes = std::atoi(argv[5]);
  const int warmup_ms = argc > 6 ? std::atoi(argv[6]) : 1000;
  t::SlowClients attack(port, count, mode, reconnect);
  std::this_thread::sleep_for(std::chrono::milliseconds(warmup_ms));
  for (const char* path : {"/metrics", "/-/healthy"}) {
    const t::LatencySummary s = t::probe(port, path, probes);
    std::printf("%s %.2f %.2f %.2f %d %d %ld\n", path, s.p50, s.p99, s.max, s.failed,
                attack.open_now(), attack.closed_by_server());
    std::fflush(stdout);
  }
  return 0;
}
