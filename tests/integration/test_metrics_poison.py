"""Metrics poisoning (issue 16): a client's model names never become label
values. 300 requests for made-up models (cheap 404s) used to fill the
families' cap of 256 label sets, and later real series went missing; now
they count as model="other" and a served model's series still appears
(sanitizer binary)."""
import json
import re

from server_helpers import Server


def test_bogus_model_names_do_not_become_labels(c12_san):
    srv = Server(c12_san, "server: {default_max_tokens: 2}\n")
    try:
        for i in range(300):
            st, body = srv.post("/v1/chat/completions", {"model": f"bogus-{i}",
                                                         "messages": [{"role": "user", "content": "hi"}]})
            assert st == 404 and json.loads(body)["error"]["code"] == "model_not_found"
        st, body = srv.post("/v1/chat/completions", {"model": "smollm2-135m", "max_tokens": 2,
                                                     "messages": [{"role": "user", "content": "hi"}]})
        assert st == 200, body
        st, text = srv.get("/metrics")
        assert st == 200
        assert "bogus" not in text
        assert re.search(r'^c12_requests_total\{model="other",status="rejected"\} 300$', text, re.M), text
        assert re.search(r'^c12_requests_total\{model="smollm2-135m",status="ok"\} 1$', text, re.M)
        assert re.search(r'^c12_completion_tokens_total\{model="smollm2-135m",status="ok"\} [12]$', text, re.M)
        labels = set(re.findall(r'model="([^"]*)"', text))
        assert labels <= {"smollm2-135m", "other"}, labels
    finally:
        srv.stop()
