# seedchip: the two commands of the README.
#   make demo   generate, lint, verify and synthesise (sky130) the built-in default chip
#   make test   the whole test suite
#   make signoff  also the tests too slow for every run (sky130 timing of the 16x16 chip, the crossbar and the router)
CARGO ?= cargo
SEEDCHIP ?= target/release/seedchip
# demo-steps on another configuration (tests use a small one): make demo-steps DEMO_CONFIG=c.toml
DEMO_CONFIG ?=
DEMO_CASES ?= 100
DEMO_GEMM ?= 64x64x64
CONFIG_ARG = $(if $(DEMO_CONFIG),--config $(DEMO_CONFIG),)

.PHONY: demo demo-steps test signoff setup build python pytest fmt clippy

VENV = .venv

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --release --locked

demo: build python
	@$(MAKE) --no-print-directory demo-steps

# The Python module, built into the project's venv (import seedchip with .venv/bin/python).
python: setup
	cd python && VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH maturin develop --release --locked -q

pytest: python
	$(VENV)/bin/python -m pytest -q python/tests

demo-steps:
	$(SEEDCHIP) generate $(CONFIG_ARG) --out out/default
	verilator --lint-only -Wall -F out/default/files.f --top-module $$(tail -n 1 out/default/files.f | sed 's/\.v$$//')
	@echo "demo: Verilog in out/default is lint-clean (verilator -Wall)"
	$(SEEDCHIP) verify $(CONFIG_ARG) --cases $(DEMO_CASES) --seed 1
	$(SEEDCHIP) run $(CONFIG_ARG) --gemm $(DEMO_GEMM) --seed 1
	$(SEEDCHIP) synth $(CONFIG_ARG) --target sky130 --out out/default-sky130

test: setup
	$(CARGO) test --release --locked --workspace
	@$(MAKE) --no-print-directory pytest

signoff: setup
	$(CARGO) test --release --locked --workspace -- --include-ignored

fmt:
	$(CARGO) fmt --all

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
