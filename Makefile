# Entry points for building, testing and demonstrating strata.
# `make test` is what CI runs; everything it needs is installed by `make setup`.

# Each target's prerequisites must run in the order listed (setup before
# build, build before the tests), so never run them in parallel; the compile
# itself is parallel through cmake.
.NOTPARALLEL:
.PHONY: setup build demo fixtures tools test test-plain readme fuzz fuzz-build test-sanitize

FIXTURES := $(CURDIR)/tests/fixtures/out
# The shared reference images sit beside the repository when they exist.
CORPUS := $(abspath $(wildcard $(CURDIR)/../shared/images))

setup:
	scripts/setup.sh

build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build -j2

demo: setup build
	./build/strata audit examples/app.docker.tar

# build.sh starts a Docker daemon itself, and only when the fixtures are out
# of date, so an up-to-date tree costs no daemon start.
fixtures: setup
	tests/fixtures/build.sh $(FIXTURES)

# The SARIF validator and schema, from the npm registry (see the script).
TOOLS := $(CURDIR)/build/tools/node_modules/@microsoft/sarif-multitool-linux
tools: setup
	scripts/test-tools.sh build/tools

# What every ctest run gets: the fixtures, the SARIF validator, the corpus.
TEST_ENV := STRATA_FIXTURES=$(FIXTURES) STRATA_SARIF_TOOLS=$(TOOLS) \
	$(if $(CORPUS),STRATA_CORPUS=$(CORPUS))

# What CI runs: the whole suite, then the same suite under the sanitizers,
# then each fuzz target for FUZZ_SECONDS (see doc/robustness.md).
test: test-plain test-sanitize fuzz

test-plain: setup build fixtures tools
	cd build && $(TEST_ENV) ctest --output-on-failure

# The whole suite against a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (gcc), in build-asan. Any report fails a test:
# the tests run this build's strata, whose sanitizer exits non-zero.
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
test-sanitize: setup fixtures tools
	cmake -S . -B build-asan -DSTRATA_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-asan -j2
	cd build-asan && $(TEST_ENV) $(SANITIZER_ENV) ctest --output-on-failure

# libFuzzer targets (fuzz/), built with clang in build-fuzz. `make fuzz`
# runs each for FUZZ_SECONDS; a nightly job runs them longer (see
# doc/robustness.md).
FUZZ_SECONDS ?= 60
fuzz-build: setup
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DSTRATA_FUZZ=ON -DSTRATA_TESTS=OFF \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j2

fuzz: fuzz-build
	fuzz/run.sh $(FUZZ_SECONDS)

readme: build
	scripts/update-readme.sh
