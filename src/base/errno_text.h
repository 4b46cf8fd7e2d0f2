// SPDX-License-Identifier: Apache-2.0
// The one spelling of an errno in messages: "No buffer space available (errno 105)".
#pragma once

#include <string>
#include <system_error>

namespace port_exporter {

// strerror's text alone, for errors a user reads as a sentence ("cannot read x: ...").
inline std::string errno_message(int error) { return std::generic_category().message(error); }

// With the number, for kernel replies where the symbol matters to whoever debugs it.
inline std::string errno_text(int error) {
  return errno_message(error) + " (errno " + std::to_string(error) + ")";
}

}  // namespace port_exporter
