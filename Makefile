# Entry points for building, testing and demonstrating strata.
# `make test` is what CI runs; everything it needs is installed by `make setup`.

# Each target's prerequisites must run in the order listed (setup before
# build, build before the tests), so never run them in parallel; the compile
# itself is parallel through cmake.
.NOTPARALLEL:
.PHONY: setup build demo fixtures tools test readme

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

test: setup build fixtures tools
	cd build && STRATA_FIXTURES=$(FIXTURES) STRATA_SARIF_TOOLS=$(TOOLS) \
	  $(if $(CORPUS),STRATA_CORPUS=$(CORPUS)) ctest --output-on-failure

readme: build
	scripts/update-readme.sh
