# seedchip: the two commands of the README.
#   make demo   generate, lint, verify and synthesise (sky130) the built-in default chip
#   make test   the whole test suite
CARGO ?= cargo
SEEDCHIP := target/release/seedchip

.PHONY: demo test setup build fmt clippy

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --release --locked

demo: build
	$(SEEDCHIP) generate --out out/default
	verilator --lint-only -Wall -F out/default/files.f --top-module $$(tail -n 1 out/default/files.f | sed 's/\.v$$//')
	@echo "demo: Verilog in out/default is lint-clean (verilator -Wall)"
	$(SEEDCHIP) verify --cases 100 --seed 1
	$(SEEDCHIP) synth --target sky130 --out out/default-sky130

test: setup
	$(CARGO) test --release --locked --workspace

fmt:
	$(CARGO) fmt --all

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
