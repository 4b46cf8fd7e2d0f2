# SPDX-License-Identifier: Apache-2.0
# Turns the compiled BPF object into a C++ header (bytes for bpf_object__open_mem), so the
# exporter is one file and the build needs neither bpftool nor xxd.
# Usage: cmake -DINPUT=closed_attempts.bpf.o -DOUTPUT=closed_attempts_object.h -P embed.cmake
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}" "// Generated from closed_attempts.bpf.o by embed.cmake: do not edit.
#pragma once

namespace port_exporter {

inline constexpr unsigned char kClosedAttemptsObject[] = {
${bytes}
};

}  // namespace port_exporter
")
