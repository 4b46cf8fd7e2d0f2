// SPDX-License-Identifier: Apache-2.0
// A SocketSource that returns records given up front (recorded fixtures, or one real dump
// replayed), so the pipeline after the kernel runs without a kernel.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "kernel/socket_source.h"

namespace port_exporter::test {

class FixedSource final : public SocketSource {
 public:
  explicit FixedSource(std::vector<SocketRecord> records) : records_(std::move(records)) {}
  Result<std::vector<SocketRecord>> dump(const WatchSet& /*watch*/) override { return records_; }
  std::string_view name() const override { return "fixed"; }
  ErrorSource error_source() const override { return ErrorSource::kNetlink; }

 private:
  std::vector<SocketRecord> records_;
};

}  // namespace port_exporter::test
