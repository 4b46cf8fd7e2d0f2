# SPDX-License-Identifier: Apache-2.0
# The two commands a new machine needs: `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
ARGS ?=
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORT_EXPORTER_WERROR=ON

.PHONY: all deps test-deps build build-tests run test test-sanitize test-tsan fuzz image-test \
  bench deb clean

all: build

# `make run` needs the compiler and the libraries only; `make test` adds the test tools.
deps:
	scripts/install-deps.sh build

test-deps:
	scripts/install-deps.sh test

# `make run` builds the binary alone in its own directory, configured to compile fast
# (docs/contributing.md): a unity build (CMake joins the core's 45 sources in batches of 8,
# so the headers and templates they share are compiled 6 times, not 45) at -O2 without
# debug info. `make test` keeps $(BUILD_DIR): one compiler run per file (each file
# compiles alone; clang-tidy reads their compile commands) with debug info.
# tests/lint/unity.test.sh checks in `make test` that the sources still compile as one unit.
RUN_BUILD_DIR ?= build-run
RUN_CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DCMAKE_UNITY_BUILD=ON -DPORT_EXPORTER_WERROR=ON
build: deps
	cmake -S . -B $(RUN_BUILD_DIR) $(RUN_CMAKE_FLAGS) -DPORT_EXPORTER_BUILD_TESTS=OFF
	cmake --build $(RUN_BUILD_DIR) -j $(JOBS) --target port_exporter

build-tests: test-deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) -DPORT_EXPORTER_BUILD_TESTS=ON
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(RUN_BUILD_DIR)/port_exporter $(ARGS)

# Under CI=true a skipped test (exit 77: a tool missing) fails the run: CI must run them all.
test: build-tests
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 --output-junit ctest-junit.xml
	scripts/check-skipped.sh $(BUILD_DIR)/ctest-junit.xml

# Unit, integration and fuzz-corpus tests built with AddressSanitizer + UndefinedBehavior-
# Sanitizer (LeakSanitizer included) in their own build directory. docs/testing.md says what
# is checked and what is not (the daemon's 800 ms forced exit skips the leak check).
# -Wno-maybe-uninitialized: GCC 12 reports std::regex/std::function state as maybe
# uninitialized under ASan instrumentation (a false positive; the same code is clean without).
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -Wno-maybe-uninitialized
# Not the fd-exhaustion test: the sanitizer runtime itself needs descriptors (UBSan's vptr
# check probes memory through a pipe; at the fd limit it reports every polymorphic object as
# "invalid vptr"). It runs in `make test`.
SANITIZE_TESTS = -L 'unit|integration|fuzz' -E 'NetworkEdgeFdLimitTest'
test-sanitize: test-deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORT_EXPORTER_WERROR=ON \
	  "-DCMAKE_CXX_FLAGS=$(SANITIZE_FLAGS)" "-DCMAKE_EXE_LINKER_FLAGS=$(SANITIZE_FLAGS)"
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure --timeout 600 $(SANITIZE_TESTS)

# The same tests under ThreadSanitizer (not combinable with ASan: its own build directory).
test-tsan: test-deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORT_EXPORTER_WERROR=ON \
	  "-DCMAKE_CXX_FLAGS=-fsanitize=thread" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread"
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure --timeout 600 $(SANITIZE_TESTS)

# libFuzzer (clang, ASan + UBSan) on each target of tests/fuzz for FUZZ_SECONDS each.
FUZZ_SECONDS ?= 30
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
fuzz:
	scripts/install-deps.sh fuzz
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORT_EXPORTER_FUZZ=ON \
	  -DCMAKE_CXX_COMPILER=clang++ "-DCMAKE_CXX_FLAGS=$(FUZZ_FLAGS)" \
	  "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined"
	cmake --build build-fuzz -j $(JOBS)
	scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

# Builds the container image with podman (base image made offline with debootstrap) and
# checks that it serves /metrics and counts a listener on the host; runs the shipped systemd
# unit under a real systemd in a container (tests/deploy/systemd_live.sh); then `make deb`
# and the package in a clean container (tests/deploy/deb.sh). Slow (minutes), so not part
# of `make test`; CI runs it after `make test`.
image-test:
	scripts/install-deps.sh image
	bash tests/deploy/image.sh
	bash tests/deploy/systemd_live.sh
	bash tests/deploy/deb.sh

bench:
	scripts/install-deps.sh bench
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) -DPORT_EXPORTER_BUILD_BENCH=ON
	cmake --build $(BUILD_DIR) -j $(JOBS)
	bench/run.sh $(BUILD_DIR)

# The Debian package for bare hosts: $(DEB_BUILD_DIR)/port-exporter_<version>_<arch>.deb
# (its own Release build; packaging/deb, cmake/Packaging.cmake). Tested in a clean Debian 12
# container by `make image-test` (tests/deploy/deb.sh).
DEB_BUILD_DIR ?= build-deb
deb:
	scripts/install-deps.sh deb
	cmake -S . -B $(DEB_BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DPORT_EXPORTER_WERROR=ON \
	  -DPORT_EXPORTER_BUILD_TESTS=OFF -DPORT_EXPORTER_PACKAGE=ON $(DEB_CMAKE_FLAGS)
	cmake --build $(DEB_BUILD_DIR) -j $(JOBS)
	cd $(DEB_BUILD_DIR) && cpack -G DEB
	@ls $(DEB_BUILD_DIR)/port-exporter_*.deb

clean:
	rm -rf $(BUILD_DIR) $(RUN_BUILD_DIR) $(DEB_BUILD_DIR) build-asan build-tsan build-fuzz
