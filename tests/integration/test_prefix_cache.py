"""The prefix cache (docs/api.md "Prefix cache"): a conversation's second
turn reuses the slot's keys and values for the turn it repeats, says so in
usage.prompt_tokens_details.cached_tokens, and answers the same tokens as a
server whose models[].prefix_cache is off (sanitizer binary, smollm2-135m,
greedy)."""
import json

import pytest

from server_helpers import Server

SYSTEM = "You are a careful assistant. Answer in one short sentence, with no lists."
TURNS = ["What is the capital of France?", "And what river runs through it?", "Name one bridge over it."]


def converse(srv):
    """Three greedy turns, each sending the whole conversation so far."""
    msgs = [{"role": "system", "content": SYSTEM}]
    usages, answers = [], []
    for q in TURNS:
        msgs.append({"role": "user", "content": q})
        st, body = srv.post("/v1/chat/completions", {"model": "smollm2-135m", "messages": msgs,
                                                      "temperature": 0, "max_tokens": 12})
        assert st == 200, body
        r = json.loads(body)
        answers.append(r["choices"][0]["message"]["content"])
        usages.append(r["usage"])
        msgs.append({"role": "assistant", "content": answers[-1]})
    return answers, usages


@pytest.fixture(scope="module")
def both(c12_san):
    on = Server(c12_san, "cache: {enabled: false}\nmodels:\n  - {id: smollm2-135m, source: smollm2-135m}\n")
    off = Server(c12_san, "cache: {enabled: false}\n"
                 "models:\n  - {id: smollm2-135m, source: smollm2-135m, prefix_cache: false}\n")
    try:
        yield converse(on), converse(off)
    finally:
        on.stop()
        off.stop()


def test_later_turns_reuse_the_earlier_ones(both):
    (_, usages), _ = both
    cached = [u["prompt_tokens_details"]["cached_tokens"] for u in usages]
    assert cached[0] == 0
    # each later turn repeats the previous prompt (and more): at least that much is reused
    for i in (1, 2):
        assert cached[i] >= usages[i - 1]["prompt_tokens"], (cached, usages)
        assert cached[i] < usages[i]["prompt_tokens"]


def test_same_answers_without_the_cache(both):
    (answers_on, _), (answers_off, usages_off) = both
    assert all(u["prompt_tokens_details"]["cached_tokens"] == 0 for u in usages_off)
    assert answers_on == answers_off


def test_two_conversations_keep_their_slots(c12_san):
    """With two slots, interleaved conversations each find the slot that
    served their previous turn (the pool's slot choice), so both reuse it."""
    srv = Server(c12_san, "cache: {enabled: false}\n"
                 "models:\n  - {id: smollm2-135m, source: smollm2-135m, slots: 2, context: 1024}\n")
    try:
        convs = [[{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}]
                 for q in ("Tell me about Paris.", "Tell me about Rome.")]
        first = []
        for msgs in convs:
            st, body = srv.post("/v1/chat/completions", {"model": "smollm2-135m", "messages": msgs,
                                                          "temperature": 0, "max_tokens": 8})
            assert st == 200, body
            r = json.loads(body)
            first.append(r["usage"]["prompt_tokens"])
            msgs += [{"role": "assistant", "content": r["choices"][0]["message"]["content"]},
                     {"role": "user", "content": "Say more."}]
        # the second turns in the other order: the least recently used slot
        # would be the wrong one for each
        for msgs, n1 in reversed(list(zip(convs, first))):
            st, body = srv.post("/v1/chat/completions", {"model": "smollm2-135m", "messages": msgs,
                                                          "temperature": 0, "max_tokens": 8})
            assert st == 200, body
            assert json.loads(body)["usage"]["prompt_tokens_details"]["cached_tokens"] >= n1
    finally:
        srv.stop()
