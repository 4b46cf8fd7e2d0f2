// SPDX-License-Identifier: Apache-2.0
// timeit: runs a command repeatedly (fork + exec, no shell, stdout and stderr to
// /dev/null) and prints the median wall time and the median CPU time (user + system of
// the child, from wait4) in milliseconds. bench/run.sh times ss, cat and
// `port_exporter --once` with it, so every process is measured the same way.
//
//   timeit [-n RUNS] [-w WARMUP] -- COMMAND [ARGS...]
//   prints: "WALL_MEDIAN_MS CPU_MEDIAN_MS WALL_MIN_MS WALL_MAX_MS RUNS"; exit 1 when the
//   command fails (its exit status is not 0).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Sample {
  double wall_ms = 0;
  double cpu_ms = 0;
};

double ms(const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + t.tv_usec / 1e3; }

bool run_once(char** argv, Sample& sample) {
  const auto started = std::chrono::steady_clock::now();
  const pid_t child = fork();
  if (child < 0) return false;
  if (child == 0) {
    const int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(child, &status, 0, &usage) != child) return false;
  sample.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  sample.cpu_ms = ms(usage.ru_utime) + ms(usage.ru_stime);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 11;
  int warmup = 1;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "-n" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (arg == "-w" && i + 1 < argc) {
      warmup = std::atoi(argv[++i]);
    } else {
      break;
    }
  }
  if (i >= argc || runs < 1 || warmup < 0) {
    std::fprintf(stderr, "usage: %s [-n RUNS] [-w WARMUP] -- COMMAND [ARGS...]\n", argv[0]);
    return 2;
  }
  char** command = argv + i;
  std::vector<double> wall, cpu;
  for (int r = 0; r < warmup + runs; ++r) {
    Sample sample;
    if (!run_once(command, sample)) {
      std::fprintf(stderr, "timeit: `%s` failed\n", command[0]);
      return 1;
    }
    if (r < warmup) continue;
    wall.push_back(sample.wall_ms);
    cpu.push_back(sample.cpu_ms);
  }
  std::printf("%.4f %.4f %.4f %.4f %d\n", median(wall), median(cpu),
              *std::min_element(wall.begin(), wall.end()),
              *std::max_element(wall.begin(), wall.end()), runs);
  return 0;
}
