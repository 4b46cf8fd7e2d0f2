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

# string(TIMESTAMP) honours SOURCE_DATE_EPOCH itself; UTC like Prometheus's build date.
string(TIMESTAMP PORT_EXPORTER_BUILD_DATE "%Y%m%d-%H:%M:%S" UTC)

# Go's GOOS/GOARCH names, as Prometheus prints them.
string(TOLOWER "${CMAKE_SYSTEM_NAME}" os)
set(arch ${CMAKE_SYSTEM_PROCESSOR})
if(arch STREQUAL "x86_64")
  set(arch amd64)
elseif(arch STREQUAL "aarch64")
  set(arch arm64)
endif()
set(PORT_EXPORTER_PLATFORM "${os}/${arch}")
