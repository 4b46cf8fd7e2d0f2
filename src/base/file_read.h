// SPDX-License-Identifier: Apache-2.0
// Bounded whole-file reads for files the exporter does not control (/proc, configs): never
// more than `max_bytes`, EINTR retried, the errno kept for the caller to branch on.
#pragma once

#include <cstddef>
#include <string>

#include "base/result.h"

namespace port_exporter {

struct FileError {
  int error = 0;        // errno; EFBIG when the file is larger than allowed
  std::string message;  // "cannot read PATH: <strerror>"
};

// The whole file, or an error when it cannot be opened or read or exceeds `max_bytes`.
Result<std::string, FileError> read_file(const std::string& path, std::size_t max_bytes);

}  // namespace port_exporter
