// SPDX-License-Identifier: Apache-2.0
// For tests that run the exporter with its web server: a port for it, and waiting until it
// answers.
#pragma once

#include <exception>
#include <string>

#include "http_client.h"
#include "process.h"
#include "socket_helpers.h"

namespace port_exporter::test {

// A port free right now on 127.0.0.1, for the exporter's own web server.
inline int free_web_port() {
  TestSocket s = open_listener(Protocol::kTcp, "127.0.0.1");
  return s.local_port();
}

// Waits until the exporter on `port` answers `path` with 200.
inline bool comes_up(int port, const std::string& path = "/-/ready") {
  return eventually([&] {
    try {
      return http_get(port, path).status == 200;
    } catch (const std::exception&) {
      return false;  // not listening yet
    }
  });
}

}  // namespace port_exporter::test
