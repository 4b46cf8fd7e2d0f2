// SPDX-License-Identifier: Apache-2.0
#include "kernel/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "base/file_read.h"

namespace port_exporter {

namespace {

// /proc/stat grows with the CPU count (a line each): 1 MiB is thousands of CPUs.
constexpr std::size_t kMaxStatBytes = std::size_t{1} << 20;

std::string read_or_empty(const char* path) {
  Result<std::string, FileError> text = read_file(path, kMaxStatBytes);
  return text ? std::move(text).value() : std::string();
}

double count_open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') n++;
  }
  closedir(dir);
  return n - 1;  // the descriptor of the directory being read
}

}  // namespace

Result<double> parse_boot_time(const std::string& proc_stat) {
  std::istringstream in(proc_stat);
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return Error{"no btime line in /proc/stat"};
}

Result<ProcessStats> parse_proc_stat(const std::string& stat_line, long ticks_per_second,
                                     long page_size, double boot_time_seconds) {
  // The comm field (2) may hold spaces and parentheses: fields resume after the last ')'.
  const auto close = stat_line.rfind(')');
  if (close == std::string::npos) return Error{"malformed stat line: no ')'"};
  std::istringstream in(stat_line.substr(close + 1));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() < 22) return Error{"malformed stat line: too few fields"};
  try {
    ProcessStats s;
    const double utime = std::stod(fields[11]);      // field 14
    const double stime = std::stod(fields[12]);      // field 15
    const double starttime = std::stod(fields[19]);  // field 22
    s.cpu_seconds = (utime + stime) / static_cast<double>(ticks_per_second);
    s.start_time_seconds = boot_time_seconds + starttime / static_cast<double>(ticks_per_second);
    s.virtual_memory_bytes = std::stod(fields[20]);  // field 23
    s.resident_memory_bytes = std::stod(fields[21]) * static_cast<double>(page_size);
    return s;
  } catch (const std::exception&) {
    return Error{"malformed stat line: a numeric field is not a number"};
  }
}

Result<ProcessStats> read_process_stats() {
  static const Result<double> boot_time = parse_boot_time(read_or_empty("/proc/stat"));
  Result<ProcessStats> stats =
      parse_proc_stat(read_or_empty("/proc/self/stat"), sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE),
                      boot_time ? *boot_time : 0);
  if (!stats) return stats;
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  stats.value().open_fds = count_open_fds();
  stats.value().max_fds = static_cast<double>(limit.rlim_cur);
  return stats;
}

unsigned long long parse_pids_max(const std::string& proc_self_cgroup,
                                  const std::function<std::string(const std::string&)>& read) {
  std::istringstream lines(proc_self_cgroup);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("0::", 0) != 0) continue;
    std::string path = line.substr(3);
    if (path.empty() || path.back() != '/') path += '/';
    const std::string value = read(path + "pids.max");
    if (value.empty() || value[0] < '0' || value[0] > '9') return 0;  // "max" or unreadable
    return std::stoull(value.substr(0, value.find_first_not_of("0123456789")));
  }
  return 0;
}

unsigned long long cgroup_pids_max() {
  return parse_pids_max(read_or_empty("/proc/self/cgroup"), [](const std::string& path) {
    return read_or_empty(("/sys/fs/cgroup" + path).c_str());
  });
}

}  // namespace port_exporter
