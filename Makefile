# Two entry points: `make devnet` brings the whole system up, `make test` runs every test.
# Both install what the machine lacks: the pinned anvil/forge/cast 1.7.1 and solc 0.8.30
# from the npm registry into .tools/, and the Rust crates through cargo.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

TOOLS_DIR := .tools
TOOLS_BIN := $(TOOLS_DIR)/bin
OS := $(shell uname -s | tr '[:upper:]' '[:lower:]')
ARCH := $(if $(filter x86_64 amd64,$(shell uname -m)),amd64,arm64)
PLATFORM := $(OS)-$(ARCH)
FORGE := $(abspath $(TOOLS_BIN))/forge
CARGO ?= cargo

# Tests and the devnet find anvil and cast here.
export ROLLUP_TOOLS_BIN := $(abspath $(TOOLS_BIN))
export FOUNDRY_DISABLE_NIGHTLY_WARNING := 1

.PHONY: devnet test tools postgres-check contracts check-artifacts test-contracts test-rust lint fmt clean prerequisites test-clients

## devnet: build and run anvil, contracts, sequencer, executor, batcher and challenger (Ctrl-C stops).
devnet: tools
	$(CARGO) run --release --locked -p rollup -- devnet $(DEVNET_ARGS)

## test: artifacts drift check, forge tests, formatting, clippy, and every Rust test.
test: tools check-artifacts test-contracts lint test-rust test-clients

prerequisites:
	@command -v node >/dev/null || { echo "node (20+) and npm are required: install them from your OS packages"; exit 1; }
	@command -v npm >/dev/null || { echo "npm is required: install it from your OS packages"; exit 1; }
	@command -v $(CARGO) >/dev/null || { echo "cargo is required: install Rust with rustup (https://rustup.rs)"; exit 1; }

## tools: install the pinned L1 toolchain into .tools/ (once).
tools: $(TOOLS_BIN)/.installed

$(TOOLS_BIN)/.installed: $(TOOLS_DIR)/package.json $(TOOLS_DIR)/package-lock.json | prerequisites
	# `npm install` honours the lock file; `npm ci` would refuse because the lock (rightly)
	# omits the binaries of other platforms.
	cd $(TOOLS_DIR) && npm install --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p $(TOOLS_BIN)
	for t in anvil forge cast; do \
	  test -x $(TOOLS_DIR)/node_modules/@foundry-rs/$$t-$(PLATFORM)/bin/$$t || { echo "no $$t binary for $(PLATFORM)"; exit 1; }; \
	  ln -sf ../node_modules/@foundry-rs/$$t-$(PLATFORM)/bin/$$t $(TOOLS_BIN)/$$t; \
	done
	ln -sf ../solc $(TOOLS_BIN)/solc
	$(TOOLS_BIN)/anvil --version | head -1
	$(TOOLS_BIN)/forge --version | head -1
	$(TOOLS_BIN)/solc --version | tail -1
	touch $@

## contracts: compile the Solidity and refresh the committed artifacts the Rust bindings use.
contracts: tools
	cd contracts && $(FORGE) build
	node contracts/script/export-artifacts.cjs

## check-artifacts: fail if the committed artifacts differ from a fresh compile.
check-artifacts: tools
	cd contracts && $(FORGE) build
	tmp=$$(mktemp -d) && node contracts/script/export-artifacts.cjs "$$tmp" && \
	  if ! diff -r "$$tmp" contracts/artifacts >/dev/null; then \
	    echo "contracts/artifacts is stale: run 'make contracts' and commit the result"; diff -r "$$tmp" contracts/artifacts | head -20; exit 1; \
	  fi && rm -rf "$$tmp" && echo "artifacts up to date"

test-contracts: tools
	cd contracts && $(FORGE) test

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## postgres-check: find, start or provide the PostgreSQL the tests use; say which tests skip without one.
postgres-check:
	@bash scripts/postgres-check.sh >/dev/null

test-rust: tools
	url=$$(bash scripts/postgres-check.sh); \
	  ROLLUP_TEST_POSTGRES_URL="$${url:-$${ROLLUP_TEST_POSTGRES_URL:-}}" $(CARGO) test --workspace --locked

## test-clients: viem, ethers, web3.py (pinned in clients/), cast and the explorer page in headless Chromium against one fresh debug devnet.
test-clients: tools
	$(CARGO) build --locked -p rollup
	target=$$($(CARGO) metadata --format-version 1 --no-deps --locked | node -p 'JSON.parse(require("fs").readFileSync(0)).target_directory'); \
	  ROLLUP_BIN="$${ROLLUP_BIN:-$$target/debug/rollup}" bash clients/run.sh

fmt: tools
	$(CARGO) fmt --all
	cd contracts && $(FORGE) fmt

clean:
	$(CARGO) clean
	rm -rf $(TOOLS_DIR)/node_modules $(TOOLS_BIN) contracts/out contracts/cache .devnet
