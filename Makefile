# Wraps CMake. `make demo` and `make test` are all a newcomer needs.
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all deps configure build test demo demo-rotation demo-keyless asan-test tsan-test fuzz bench clean format

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# CTEST_ARGS selects tests (empty: the whole suite).
CTEST_ARGS ?=
test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)

demo: build
	@scripts/demo.sh $(BUILD)

# Key rotation: A signs, B is generated, A revoked, policy v2 installed; A's
# release still verifies, A is refused, B signs (docs/key-lifecycle.md).
demo-rotation: build
	@scripts/demo-rotation.sh $(BUILD)

# A keyless builder: the SLSA generator's Maven builder trusted by identity, its
# real Sigstore bundle accepted unchanged (docs/policy.md, "Keyless builders").
demo-keyless: build
	@scripts/demo-keyless.sh $(BUILD)

# The suite under AddressSanitizer + UndefinedBehaviorSanitizer, in
# build-asan. ASAN_CTEST_ARGS selects tests (empty: the whole suite; .ci/run
# says what CI runs and why).
# Only the test programs ASAN_CTEST_ARGS selects are built (scripts/ctest-targets).
ASAN_CTEST_ARGS ?=
asan-test:
	@$(MAKE) --no-print-directory configure BUILD=build-asan CMAKE_FLAGS="-DSTRONGROOM_SANITIZE=ON $(CMAKE_FLAGS)"
	@cmake --build build-asan -j$(JOBS) --target $$(scripts/ctest-targets build-asan $(ASAN_CTEST_ARGS))
	cd build-asan && ctest --output-on-failure -j$(JOBS) $(ASAN_CTEST_ARGS)

# The suite under ThreadSanitizer, in build-tsan. Every report, of a test or
# of a strongroom/log_tool process it starts, is written to
# build-tsan/tsan-reports/ and fails the target; tests/sanitizers/tsan.supp
# suppresses, one entry each, reports that are not ours. TSAN_CTEST_ARGS
# selects tests (empty: the whole suite; .ci/run says what CI runs and why).
TSAN_CTEST_ARGS ?=
TSAN_DIR = $(CURDIR)/build-tsan
# Only the test programs TSAN_CTEST_ARGS selects are built (scripts/ctest-targets).
tsan-test:
	@$(MAKE) --no-print-directory configure BUILD=build-tsan CMAKE_FLAGS="-DSTRONGROOM_TSAN=ON $(CMAKE_FLAGS)"
	@cmake --build $(TSAN_DIR) -j$(JOBS) --target $$(scripts/ctest-targets $(TSAN_DIR) $(TSAN_CTEST_ARGS))
	@rm -rf $(TSAN_DIR)/tsan-reports && mkdir -p $(TSAN_DIR)/tsan-reports
	@cd $(TSAN_DIR) && rc=0; \
	  TSAN_OPTIONS="suppressions=$(CURDIR)/tests/sanitizers/tsan.supp:log_path=$(TSAN_DIR)/tsan-reports/report:second_deadlock_stack=1" \
	    ctest --output-on-failure -j$(JOBS) $(TSAN_CTEST_ARGS) || rc=$$?; \
	  if ls tsan-reports/report.* >/dev/null 2>&1; then \
	    cat tsan-reports/report.*; echo "tsan-test: ThreadSanitizer reports (build-tsan/tsan-reports/)" >&2; exit 1; \
	  fi; exit $$rc

# libFuzzer targets (clang), each run for a short bounded time.
fuzz: deps
	@scripts/fuzz-smoke

bench: build
	@scripts/bench $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-asan build-tsan build-fuzz
