#!/usr/bin/env bash
# Install what C12 needs to build and test: Debian -dev packages (apt-get when
# root, else print the command) and Python test tools (pip --user when absent).
set -eu
pkgs=(gcc make pkg-config clang libclang-rt-14-dev libcmocka-dev libzip-dev libssl-dev
      libpcre2-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libmicrohttpd-dev libsqlite3-dev wrk strace python3 python3-pip
      prometheus   # promtool and prometheus: tests/integration/test_metrics.py
      chromium nodejs)  # the dashboard in a browser: tests/integration/test_dashboard.py
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "deps: missing packages; run:  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
# Python test tools: pytest, the openai SDK and schemathesis (server tests).
py=${PYTHON:-python3}
for mod in pytest openai schemathesis; do
  "$py" -c "import $mod" 2>/dev/null || "$py" -m pip install -q "$mod"
done
# PyYAML: tests/integration/test_alerts.py reads deploy/prometheus's files.
"$py" -c "import yaml" 2>/dev/null || "$py" -m pip install -q pyyaml
# playwright-core drives Debian's Chromium (no browser download): the
# version tests/browser/package-lock.json pins.
# Debian's npm is a package of its own; NodeSource's nodejs carries npm and
# conflicts with it.
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  else
    echo "deps: npm missing; run:  sudo apt-get install npm" >&2
    exit 1
  fi
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "deps: npm ci in tests/browser (playwright-core)"
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
