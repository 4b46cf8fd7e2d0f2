// SPDX-License-Identifier: Apache-2.0
// An open directory stream (opendir) that closes itself, for the /proc walks.
#pragma once

#include <dirent.h>

#include <memory>

namespace port_exporter {

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

}  // namespace port_exporter
