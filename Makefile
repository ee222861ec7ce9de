# Rollcall. `make run` to try it, `make test` to check everything. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
BIN := target/release/rollcall

.PHONY: help setup setup-build build run test test-rust test-postgres test-scim test-e2e lint fmt bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## install every missing build and test tool (idempotent, registries only)
	@scripts/setup.sh all

setup-build:
	@scripts/setup.sh build

build: setup-build ## release build: target/release/rollcall + target/site (UI assets)
	@scripts/build-site.sh
	cargo build --release -p rollcall-server
	@echo "built $(BIN) and target/site" >&2

run: build ## build, then serve on http://127.0.0.1:3000 with ./data/rollcall.db
	@echo "Rollcall: http://127.0.0.1:3000  (data in ./data/rollcall.db; Ctrl-C to stop)" >&2
	@echo "First run: open the URL and enter the set-up code printed below." >&2
	$(BIN) serve

lint: ## rustfmt and clippy, warnings are errors
	cargo fmt --all -- --check
	cargo clippy --release --all-targets -p rollcall-server -- -D warnings
	cargo clippy --profile wasm-release -p rollcall-app --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

test-rust: ## unit, storage and integration tests on SQLite (real files, the real binary)
	cargo test --release -p rollcall-server -p rollcall-app --features rollcall-app/ssr

# The same integration suite on PostgreSQL (the harness starts its own server). The suites
# named postgres_* and db_copy already use PostgreSQL (or copy SQLite into it) explicitly,
# whatever the engine, and ran in test-rust; they are not run twice.
test-postgres: ## the integration suite again, every server and CLI call on PostgreSQL
	ROLLCALL_TEST_ENGINE=postgres cargo test --release -p rollcall-server --test it -- --skip postgres_ --skip db_copy::

test-scim: ## scim2-tester (SCIM conformance) against the release binary, on SQLite and on two PostgreSQL replicas taking turns: 0 errors
	@scripts/scim-conformance.sh
	@scripts/scim-conformance.sh replicas

test-e2e: ## Playwright in Debian Chromium against the release build
	cd end2end && npx playwright test

test: setup build lint test-rust test-postgres test-scim test-e2e ## everything CI runs

bench: build ## SCIM load test: 16 clients, 1,000,000 seeded users, then creates/lookups on SQLite, PostgreSQL and two PostgreSQL replicas (USERS=, SECONDS_EACH= to change)
	@bench/run.sh
	@bench/engines.sh

fmt: ## format the code
	cargo fmt --all

clean:
	cargo clean
