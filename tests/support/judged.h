// SPDX-License-Identifier: Apache-2.0
// A snapshot together with its verdicts, for tests that check both stages of the pure core
// on the same records (records -> snapshot -> verdicts).
#pragma once

#include <vector>

#include "config/config.h"
#include "core/policy.h"
#include "core/snapshot.h"

namespace port_exporter::test {

struct JudgedSnapshot : Snapshot {
  std::vector<PortVerdict> verdicts;
};

inline JudgedSnapshot judge(const Config& config, const std::vector<SocketRecord>& records,
                            const OwnerMap& owners) {
  JudgedSnapshot judged{build_snapshot(config, records, owners), {}};
  judged.verdicts = evaluate_policies(config, judged);
  return judged;
}

}  // namespace port_exporter::test
