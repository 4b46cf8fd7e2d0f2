# The two commands a new machine needs: `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
ARGS ?=
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORT_EXPORTER_WERROR=ON

.PHONY: all deps build run test test-sanitize test-tsan fuzz image-test bench clean

all: build

deps:
	scripts/install-deps.sh test

build: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/port_exporter $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600

# Unit, integration and fuzz-corpus tests built with AddressSanitizer + UndefinedBehavior-
# Sanitizer (LeakSanitizer included) in their own build directory. docs/testing.md says what
# is checked and what is not (the daemon's 800 ms forced exit skips the leak check).
# -Wno-maybe-uninitialized: GCC 12 reports std::regex/std::function state as maybe
# uninitialized under ASan instrumentation (a false positive; the same code is clean without).
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -Wno-maybe-uninitialized
SANITIZE_TESTS = -L 'unit|integration|fuzz'
test-sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORT_EXPORTER_WERROR=ON \
	  "-DCMAKE_CXX_FLAGS=$(SANITIZE_FLAGS)" "-DCMAKE_EXE_LINKER_FLAGS=$(SANITIZE_FLAGS)"
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure --timeout 600 $(SANITIZE_TESTS)

# The same tests under ThreadSanitizer (not combinable with ASan: its own build directory).
test-tsan: deps
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
# checks that it serves /metrics and counts a listener on the host; then runs the shipped
# systemd unit under a real systemd in a container (tests/deploy/systemd_live.sh). Slow
# (~2 min cold + ~2 min), so not part of `make test`; CI runs it after `make test`.
image-test:
	scripts/install-deps.sh image
	bash tests/deploy/image.sh
	bash tests/deploy/systemd_live.sh

bench:
	scripts/install-deps.sh bench
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) -DPORT_EXPORTER_BUILD_BENCH=ON
	cmake --build $(BUILD_DIR) -j $(JOBS)
	bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
