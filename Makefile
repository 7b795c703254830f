# Augur: `make demo` and `make test` are all a fresh Debian machine needs.
# Every target installs what is missing first (scripts/deps.sh is idempotent).

BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build test unit integration format format-check fuzz fuzz-smoke bench demo lint clean node-deps

all: build

deps:
	@./scripts/deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake -S . -B $(BUILD) -G Ninja >/dev/null
	@ninja -C $(BUILD) -j$(JOBS)

node-deps: deps
	@./scripts/node_deps.sh

# Everything: format, unit tests, integration tests with real peers, fuzz smoke runs.
test: build node-deps format-check
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600
	@$(MAKE) --no-print-directory fuzz-smoke

format-check:
	@./scripts/check_format.sh

format:
	@./scripts/check_format.sh --fix

fuzz-smoke: deps
	@./scripts/fuzz.sh 20000

fuzz: deps
	@./scripts/fuzz.sh 2000000

bench: build
	@./scripts/bench.sh

demo: build
	@./scripts/demo.sh

lint: build
	@./scripts/lint.sh

clean:
	rm -rf $(BUILD) build-fuzz
