#!/usr/bin/env bash
# make test-tsan: the request path's integration tests with C12_SAN_BIN a
# ThreadSanitizer build. Server.stop() fails a test whose server printed a
# ThreadSanitizer report (or exited non-zero: TSan exits 66 after one).
# The fleet's tests are in: a site's stream runs as a fiber on its
# connection's thread (c12_fiber.c tells TSan of each switch).
# Left out: tests of memory figures (RSS means nothing under TSan), of the
# engine's numbers against llama.cpp (the optimized binary's job), and of
# tools other than the server; and four tests whose clocks a TSan binary
# (5 to 15 times slower) cannot keep: a 120-token stream finishing within
# the grace period, the 1.5B model under TSan, a failed model passed over
# "for a while" (the while ends between two slow requests), a batch
# finishing within 240 s. They run under ASan in make test. A full run
# takes about 50 minutes on the 2-core machine. Also left out:
# test_fault_model_file.py, whose model files are truncated under the
# server on purpose: c12_mapguard's SIGBUS handler maps a zero page over the
# lost one while other threads of the same matmul read it, which TSan
# reports as a race; by design (what they read is thrown away: the model
# is marked damaged and the request fails), so not a finding.
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
  tests/integration/test_directives.py tests/integration/test_report_server.py \
  tests/integration/test_server_clients.py tests/integration/test_logprobs.py tests/integration/test_tools.py \
  tests/integration/test_tokenize_api.py tests/integration/test_fault_carbon.py tests/integration/test_json_output.py \
  tests/integration/test_fleet.py tests/integration/test_fleet_tools.py \
  --deselect tests/integration/test_server_load.py::test_sigterm_mid_stream \
  --deselect "tests/integration/test_server_inject.py::test_chat_message_text_is_plain[qwen2.5-coder-1.5b]" \
  --deselect tests/integration/test_server_route.py::test_failed_load_falls_back_to_the_next_candidate \
  --deselect tests/integration/test_batch.py::test_a_batch_waits_for_the_clean_step_then_completes "$@"
