#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds civetweb from Debian's source package with IPv6 and the OpenSSL 3 API (Debian's
# libcivetweb1 has neither: its TLS path crashes with OpenSSL 3) as a static library plus
# its C++ wrapper, into a cache prefix that later builds reuse. Prints the prefix on stdout.
# Usage: scripts/build-civetweb.sh [PREFIX_ROOT]
#   PREFIX_ROOT defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/port_exporter.
# Applies scripts/civetweb-edge.patch (accept at the fd limit, a per-client hook, strict
# Content-Length). Needs: dpkg-dev (apt-get source; it pulls in patch), cmake, gcc/g++,
# libssl-dev (scripts/install-deps.sh).
set -euo pipefail

root=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/port_exporter}

# Only what we serve: no files, CGI, Lua, Duktape, websockets, server executable or tests.
cmake_flags=(
  -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=OFF
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  -DCIVETWEB_ENABLE_CXX=ON
  -DCIVETWEB_ENABLE_IPV6=ON
  -DCIVETWEB_ENABLE_SSL=ON
  -DCIVETWEB_ENABLE_SSL_DYNAMIC_LOADING=OFF
  -DCIVETWEB_SSL_OPENSSL_API_1_1=OFF
  -DCIVETWEB_SERVE_NO_FILES=ON
  -DCIVETWEB_DISABLE_CGI=ON
  -DCIVETWEB_ENABLE_LUA=OFF
  -DCIVETWEB_ENABLE_DUKTAPE=OFF
  -DCIVETWEB_ENABLE_WEBSOCKETS=OFF
  -DCIVETWEB_ENABLE_SERVER_EXECUTABLE=OFF
  -DCIVETWEB_INSTALL_EXECUTABLE=OFF
  -DCIVETWEB_BUILD_TESTING=OFF
  -DCIVETWEB_ENABLE_ASAN=OFF
  -DCIVETWEB_ENABLE_DEBUG_TOOLS=OFF
  -DCIVETWEB_ALLOW_WARNINGS=ON
  # SOCKET_TIMEOUT_QUANTUM: civetweb's threads poll in slices of this many ms and look at
  # the stop flag between them; the default 2000 made mg_stop wait up to 2 s (twice: the
  # accept loop, then the workers). 100 ms stops within ~0.2 s; an idle server wakes 10
  # times a second, a thread holding a connection as often.
  "-DCMAKE_C_FLAGS=-O2 -fPIC -DOPENSSL_API_3_0 -DSOCKET_TIMEOUT_QUANTUM=100"
  "-DCMAKE_CXX_FLAGS=-O2 -fPIC -DOPENSSL_API_3_0"
)
# Our changes to civetweb (the header of the file says what and why), part of the cache key.
patch_file=$(cd "$(dirname "$0")" && pwd)/civetweb-edge.patch

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

# apt-get source needs a deb-src entry: a copy of the deb entries of apt's sources (the
# deb822 file of a Debian 12 install, or the one-line sources.list of a debootstrap image).
ensure_deb_src() {
  apt-cache showsrc civetweb 2>/dev/null | grep -q '^Version:' && return 0
  local sources=/etc/apt/sources.list.d/debian.sources
  if [ -r "$sources" ]; then
    sed 's/^Types: deb$/Types: deb-src/' "$sources" |
      $sudo tee /etc/apt/sources.list.d/port_exporter-deb-src.sources >/dev/null
  elif grep -q '^deb ' /etc/apt/sources.list 2>/dev/null; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list |
      $sudo tee /etc/apt/sources.list.d/port_exporter-deb-src.list >/dev/null
  else
    echo "build-civetweb: no apt sources to derive a deb-src entry from" >&2
    exit 1
  fi
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
}

ensure_deb_src
version=$(apt-cache showsrc civetweb | sed -n 's/^Version: //p' | sort -V | tail -1)
hash=$( { printf '%s\n' "${cmake_flags[@]}"; cat "$0" "$patch_file"; } | sha256sum | cut -c1-12)
prefix="$root/civetweb-$version-$hash"
if [ -f "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "build-civetweb: building civetweb $version into $prefix" >&2
(
  cd "$work"
  # As root apt warns that its _apt sandbox cannot write here; the download still works.
  apt-get source --download-only "civetweb=$version" >/dev/null 2>&1 ||
    apt-get source --download-only "civetweb=$version" >&2
  # Applies the Debian patches; its warning about the unverifiable signature is noise here.
  dpkg-source -x ./civetweb_*.dsc src >/dev/null 2>&1
  patch -d src -p1 --forward --quiet <"$patch_file"
  cmake -S src -B build "${cmake_flags[@]}" -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
  cmake --build build -j "${JOBS:-2}" >/dev/null
  rm -rf "$prefix"
  cmake --install build >/dev/null
) >&2
touch "$prefix/.complete"
echo "$prefix"
