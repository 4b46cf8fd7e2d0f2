# The two commands a new machine needs: `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
ARGS ?=
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORT_EXPORTER_WERROR=ON

.PHONY: all deps test-deps build build-tests run test image-test bench clean

all: build

# `make run` needs the compiler and the libraries only; `make test` adds the test tools.
deps:
	scripts/install-deps.sh build

test-deps:
	scripts/install-deps.sh test

build: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) -DPORT_EXPORTER_BUILD_TESTS=OFF
	cmake --build $(BUILD_DIR) -j $(JOBS) --target port_exporter

build-tests: test-deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) -DPORT_EXPORTER_BUILD_TESTS=ON
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/port_exporter $(ARGS)

# Under CI=true a skipped test (exit 77: a tool missing) fails the run: CI must run them all.
test: build-tests
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 --output-junit ctest-junit.xml
	scripts/check-skipped.sh $(BUILD_DIR)/ctest-junit.xml

# Builds the container image with podman (base image made offline with debootstrap) and
# checks that it serves /metrics and counts a listener on the host. Slow (~2 min cold), so
# not part of `make test`; CI runs it after `make test`.
image-test:
	scripts/install-deps.sh image
	bash tests/deploy/image.sh

bench:
	scripts/install-deps.sh bench
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) -DPORT_EXPORTER_BUILD_BENCH=ON
	cmake --build $(BUILD_DIR) -j $(JOBS)
	bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
