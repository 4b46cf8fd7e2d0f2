# SPDX-License-Identifier: Apache-2.0
# Build facts for src/version.h.in, printed by --version like the Prometheus binaries:
# revision, branch, build user, build date, compiler, platform.

function(port_exporter_git out)
  execute_process(COMMAND git ${ARGN} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE value OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR value STREQUAL "")
    set(value unknown)
  endif()
  set(${out} ${value} PARENT_SCOPE)
endfunction()

if(NOT PORT_EXPORTER_REVISION)
  port_exporter_git(PORT_EXPORTER_REVISION rev-parse --short=12 HEAD)
endif()
if(NOT PORT_EXPORTER_BRANCH)
  port_exporter_git(PORT_EXPORTER_BRANCH rev-parse --abbrev-ref HEAD)
endif()

if(NOT PORT_EXPORTER_BUILD_USER)
  execute_process(COMMAND id -un OUTPUT_VARIABLE user OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET)
  cmake_host_system_information(RESULT host QUERY HOSTNAME)
  set(PORT_EXPORTER_BUILD_USER "${user}@${host}")
endif()

# UTC like Prometheus's build date; string(TIMESTAMP) honours SOURCE_DATE_EPOCH itself.
# Taken once per revision (kept in the cache): every `make run` reconfigures, and a new date
# each time would rewrite version.h and recompile its includers for nothing.
set(stamp_key "${PORT_EXPORTER_REVISION}/$ENV{SOURCE_DATE_EPOCH}")
if(NOT PORT_EXPORTER_BUILD_DATE_KEY STREQUAL stamp_key)
  string(TIMESTAMP date "%Y%m%d-%H:%M:%S" UTC)
  set(PORT_EXPORTER_BUILD_DATE ${date} CACHE INTERNAL "build date of this revision")
  set(PORT_EXPORTER_BUILD_DATE_KEY ${stamp_key} CACHE INTERNAL "")
endif()

# Go's GOOS/GOARCH names, as Prometheus prints them.
string(TOLOWER "${CMAKE_SYSTEM_NAME}" os)
set(arch ${CMAKE_SYSTEM_PROCESSOR})
if(arch STREQUAL "x86_64")
  set(arch amd64)
elseif(arch STREQUAL "aarch64")
  set(arch arm64)
endif()
set(PORT_EXPORTER_PLATFORM "${os}/${arch}")
