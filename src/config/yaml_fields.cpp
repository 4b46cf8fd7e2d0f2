// SPDX-License-Identifier: Apache-2.0
#include "config/yaml_fields.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <thread>
#include <utility>

namespace port_exporter::yaml {

Position position_of(const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

std::string format_position(Position p) {
  return std::to_string(p.line) + ":" + std::to_string(p.column);
}

void Diagnostics::add(Position where, std::string_view path, const std::string& message) {
  entries_.push_back({where, path.empty() ? message : std::string(path) + ": " + message});
}

std::string Diagnostics::str() const {
  std::vector<Entry> sorted = entries_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  std::string out;
  for (const Entry& e : sorted) {
    if (!out.empty()) out += '\n';
    out += source_ + ":";
    if (e.where.line > 0) out += format_position(e.where) + ":";
    out += " " + e.text;
  }
  return out;
}

std::string quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (const std::string_view name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return node.IsScalar() ? quote(node.Scalar()) : "null";
}

bool check_type(const Field& f, YAML::NodeType::value want, const std::string& what,
                Diagnostics& diag) {
  if (f.value.Type() == want) return true;
  if (f.value.IsNull()) {
    diag.add(f.at(), f.path, "missing value (null); expected " + what);
  } else {
    diag.add(f.at(), f.path, "expected " + what + ", got " + describe(f.value));
  }
  return false;
}

Fields read_map(const YAML::Node& map, const std::string& path,
                const std::vector<std::string_view>& allowed, Diagnostics& diag) {
  Fields fields;
  for (const auto& pair : map) {
    const Position at = position_of(pair.first.Mark());
    if (!pair.first.IsScalar()) {
      diag.add(at, path, "expected a plain key, got " + describe(pair.first));
      continue;
    }
    const std::string& name = pair.first.Scalar();
    std::string key_path = path;
    if (!key_path.empty()) key_path += '.';
    key_path += name;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      diag.add(at, key_path, "unknown key; allowed keys: " + join(allowed));
      continue;
    }
    const auto [it, inserted] = fields.try_emplace(name, Field{pair.second, at, key_path});
    if (!inserted) {
      diag.add(at, key_path, "duplicate key (first at " + format_position(it->second.key) + ")");
    }
  }
  return fields;
}

const Field* find(const Fields& fields, const std::string& name) {
  const auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

Field element(const Field& list, std::size_t index) {
  return Field{list.value[index], list.at(), list.path + "[" + std::to_string(index) + "]"};
}

namespace {

bool same_file_state(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

struct FileText {
  std::string text;
  struct stat status {};  // after the read
  bool stable = false;    // size, mtime and inode the same before and after, all bytes read
};

// One read of a regular file of at most `max_bytes`: a FIFO would block the reload,
// /dev/zero would never end.
Result<FileText> read_once(const std::string& path, std::size_t max_bytes) {
  const auto failure = [&path](int error) {
    return Error{path + ": cannot read: " + std::generic_category().message(error)};
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return failure(errno);
  struct stat before {};
  if (fstat(fd, &before) != 0 || !S_ISREG(before.st_mode)) {
    const int error = errno;
    ::close(fd);
    if (S_ISDIR(before.st_mode)) return failure(EISDIR);
    return S_ISREG(before.st_mode) ? failure(error) : Error{path + ": not a regular file"};
  }
  FileText out;
  std::array<char, 4096> buffer{};
  ssize_t n = 0;
  while ((n = ::read(fd, buffer.data(), buffer.size())) > 0 && out.text.size() <= max_bytes) {
    out.text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  const int error = n < 0 ? errno : 0;
  struct stat after {};
  const bool stat_ok = fstat(fd, &after) == 0;
  ::close(fd);
  if (error != 0) return failure(error);
  if (out.text.size() > max_bytes) {
    return Error{path + ": larger than " + std::to_string(max_bytes / 1024) +
                 " KiB; not a port_exporter config"};
  }
  // The path may also have been renamed over meanwhile: that is the safe way to write it,
  // and what we read is then the old file, whole.
  out.status = after;
  out.stable = stat_ok && same_file_state(before, after) &&
               static_cast<std::size_t>(after.st_size) == out.text.size();
  return out;
}

// How long a file must stay unchanged after its last write before it is trusted.
constexpr std::chrono::milliseconds kSettle{100};
constexpr int kReadAttempts = 5;

std::chrono::nanoseconds age_of_last_write(const struct stat& status) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return std::chrono::seconds(now.tv_sec - status.st_mtim.tv_sec) +
         std::chrono::nanoseconds(now.tv_nsec - status.st_mtim.tv_nsec);
}

}  // namespace

// A file written in place (`cat > file`, an editor without rename) can be read half-written.
// Two checks: the file must not change while it is read, and a file written less than
// kSettle ago is looked at again once it is kSettle old (a writer in the middle of its
// writes changes it meanwhile). Both retried; at most kReadAttempts x kSettle of waiting.
Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes, bool settle) {
  for (int attempt = 1; attempt <= kReadAttempts; ++attempt) {
    Result<FileText> read = read_once(path, max_bytes);
    if (!read) return Error{read.error()};
    if (read->stable) {
      const std::chrono::nanoseconds age = age_of_last_write(read->status);
      if (!settle || age >= kSettle) return std::move(read).value().text;
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(kSettle - age, kSettle));
      struct stat now {};
      if (::stat(path.c_str(), &now) == 0 && same_file_state(read->status, now)) {
        return std::move(read).value().text;
      }
    }
  }
  return Error{path + ": changed while being read (" + std::to_string(kReadAttempts) +
               " attempts); write the config to a temporary file and rename it into place"};
}

}  // namespace port_exporter::yaml
