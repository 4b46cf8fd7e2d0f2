// SPDX-License-Identifier: Apache-2.0
// Wall-clock time as Prometheus timestamps want it: seconds since the epoch, fractional.
#pragma once

#include <chrono>

namespace port_exporter {

inline double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace port_exporter
