// SPDX-License-Identifier: Apache-2.0
#include "model/collect_stats.h"

namespace port_exporter {

std::string_view to_string(ErrorSource s) {
  switch (s) {
    case ErrorSource::kNetlink: return "netlink";
    case ErrorSource::kProcfs: return "procfs";
    case ErrorSource::kOwner: return "owner";
  }
  return "unknown";
}

}  // namespace port_exporter
