// SPDX-License-Identifier: Apache-2.0
#include "base/file_read.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/errno_text.h"

namespace port_exporter {

Result<std::string, FileError> read_file(const std::string& path, std::size_t max_bytes) {
  const auto failure = [&path](int error) {
    return FileError{error, "cannot read " + path + ": " + errno_message(error)};
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failure(errno);
  std::string content;
  char chunk[16384];
  int error = 0;
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      content.append(chunk, static_cast<std::size_t>(n));
      if (content.size() > max_bytes) {
        error = EFBIG;
        break;
      }
    } else if (n == 0 || errno != EINTR) {
      error = n == 0 ? 0 : errno;
      break;
    }
  }
  ::close(fd);
  if (error != 0) return failure(error);
  return content;
}

}  // namespace port_exporter
