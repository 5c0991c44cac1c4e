#!/usr/bin/env bash
# make test-tsan: the request path's integration tests with C12_SAN_BIN a
# ThreadSanitizer build. Server.stop() fails a test whose server printed a
# ThreadSanitizer report (or exited non-zero: TSan exits 66 after one).
# Left out: tests of memory figures (RSS means nothing under TSan), of the
# engine's numbers against llama.cpp (the optimized binary's job), and of
# tools other than the server.
set -eu
export TSAN_OPTIONS="${TSAN_OPTIONS:-second_deadlock_stack=1 history_size=4}"
exec python3 -m pytest -q -p no:cacheprovider \
  tests/integration/test_server_http.py tests/integration/test_server_errors.py \
  tests/integration/test_server_openai.py tests/integration/test_server_cancel.py \
  tests/integration/test_server_load.py tests/integration/test_server_keys.py \
  tests/integration/test_server_limits.py tests/integration/test_server_inject.py \
  tests/integration/test_server_defaults.py tests/integration/test_server_route.py \
  tests/integration/test_server_sites.py tests/integration/test_metrics_poison.py \
  tests/integration/test_batch.py tests/integration/test_cache.py tests/integration/test_metrics.py \
  tests/integration/test_directives.py tests/integration/test_report_server.py "$@"
