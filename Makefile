# seedchip: the two commands of the README.
#   make demo   the built-in default chip: generate, lint, run the digits network and a GEMM on
#               its RTL, synthesise for sky130, write build/default/report.html, print a summary
#   make test   the whole test suite
#   make signoff  also the tests too slow for every run (sky130 timing of the 16x16 chip, the crossbar
#                 and the router; the ULX3S bitstream and the iCEBreaker fit check; the ULX3S
#                 netlist's gate-level GEMM and a flipped-LUT netlist; the 4x4 engine's formal proof)
CARGO ?= cargo
SEEDCHIP ?= target/release/seedchip
VENV = .venv
PYTHON ?= $(VENV)/bin/python
# demo-steps on another configuration (tests use a small one): make demo-steps DEMO_CONFIG=c.toml
DEMO_CONFIG ?=
# More demo options, e.g. DEMO_FLAGS="-v --sizes 4x4" (seedchip demo --help)
DEMO_FLAGS ?=
CONFIG_ARG = $(if $(DEMO_CONFIG),--config $(DEMO_CONFIG),)

.PHONY: demo demo-steps test signoff setup build python pytest fmt clippy

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
	$(PYTHON) -m pytest -q python/tests

demo-steps:
	$(SEEDCHIP) demo $(CONFIG_ARG) --python $(PYTHON) $(DEMO_FLAGS)

# The Python module first: the demo's test in tests/standalone.rs runs the digits network.
test: setup python
	$(CARGO) test --release --locked --workspace
	$(PYTHON) -m pytest -q python/tests

signoff: setup python
	$(CARGO) test --release --locked --workspace -- --include-ignored

fmt:
	$(CARGO) fmt --all

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
