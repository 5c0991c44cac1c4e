#!/usr/bin/env python3
"""A fake OpenAI-compatible upstream on 127.0.0.1 (a fleet's site in the
failure tests): POST /v1/chat/completions and /v1/completions, streamed in
OpenAI's server-sent events (chunks, a usage chunk when stream_options asks,
data: [DONE]) or as one JSON object; GET /v1/models. Each reply is `words`
tokens, `token_s` apart. Faults (server.fault): "500", "429", "400"
(context_length_exceeded), "down" (GET /v1/models fails too), "stall" (headers,
then nothing before the first token for stall_s), "drop" (two tokens, then the
connection is cut), "error_event" (two tokens, then an error event), "idle"
(one token, then silence for stall_s), "no_usage" (never a usage chunk),
"c12_usage" (the usage chunk carries usage.c12 as a C12 upstream's does),
"tools" (a chat with tools is answered with TOOL_CALLS: streamed as OpenAI
streams them, each call's id, type and name first, then its arguments in
pieces; or whole in message.tool_calls; finish_reason "tool_calls").
GET /metrics exports vLLM's queue gauge when server.queue is set. make_server(keepalive=True)
speaks HTTP/1.1 and keeps connections open (streams chunked), as vLLM does."""
import json
import pathlib
import socket
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from fakebase import FakeHandler, FakeServer  # noqa: E402

WORDS = ["Hello", " from", " the", " fake", " upstream", ",", " one", " token", " at", " a", " time", "."]

# The calls of the "tools" fault, and the pieces each one's arguments stream in.
TOOL_CALLS = [("call_fake_0", "get_weather", ['{"city": ', '"Paris"', '}']),
              ("call_fake_1", "get_time", ['{"zone": "CET"}'])]


class Handler(FakeHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes

    def route(self, path, query):
        if path == "/v1/models":
            if self.server.fault == "down":
                return 500, {"error": {"message": "down"}}, {}
            return 200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}, {}
        if path == "/metrics" and self.server.queue is not None:  # vLLM's names, two series
            q = self.server.queue
            text = ("# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
                    "# TYPE vllm:num_requests_waiting gauge\n"
                    f'vllm:num_requests_waiting{{engine="0",model_name="fake model {{x}}"}} {q - 1}.0\n'
                    f'vllm:num_requests_waiting{{engine="1",model_name="fake-model"}} 1.0\n'
                    'vllm:num_requests_running{engine="0",model_name="fake-model"} 7.0\n')
            return 200, text.encode(), {"Content-Type": "text/plain; version=0.0.4"}
        return 404, {"error": {"message": "no such route"}}, {}

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        srv = self.server
        entry = {"t": time.monotonic(), "method": "POST", "path": self.path, "query": "", "raw_path": self.path,
                 "headers": dict(self.headers.items()), "body": body, "client": self.client_address}
        with srv.lock:
            srv.log.append(entry)
        f = srv.fault
        if f in ("500", "down"):
            return self.send(500, {"error": {"message": "fake upstream failure", "type": "server_error", "code": None}})
        if f == "429":
            return self.send(429, {"error": {"message": "fake upstream is busy", "type": "rate_limit_error"}})
        if f == "400":
            return self.send(400, {"error": {"message": "This model's maximum context length is 8 tokens.",
                                             "type": "invalid_request_error", "code": "context_length_exceeded"}})
        chat = self.path.endswith("/chat/completions")
        if f == "tools" and chat and body.get("tools"):
            return self.tool_calls(body)
        if not body.get("stream"):
            return self.send(200, self.whole(body, chat))
        self.stream(body, chat)

    def n_words(self, body):
        return min(int(body.get("max_tokens") or len(WORDS)), self.server.words)

    def whole(self, body, chat):
        text = "".join(WORDS[i % len(WORDS)] for i in range(self.n_words(body)))
        choice = {"index": 0, "finish_reason": "stop"}
        choice.update({"message": {"role": "assistant", "content": text}} if chat else {"text": text})
        return {"id": "fake-1", "object": "chat.completion" if chat else "text_completion", "model": body.get("model"),
                "choices": [choice], "usage": {"prompt_tokens": 7, "completion_tokens": self.n_words(body),
                                               "total_tokens": 7 + self.n_words(body)}}

    def tool_calls(self, body):
        calls = [{"id": i, "type": "function", "function": {"name": n, "arguments": "".join(a)}}
                 for i, n, a in TOOL_CALLS]
        if not body.get("stream"):
            msg = {"role": "assistant", "content": None, "tool_calls": calls}
            return self.send(200, {"id": "fake-1", "object": "chat.completion", "model": body.get("model"),
                                   "choices": [{"index": 0, "message": msg, "finish_reason": "tool_calls"}],
                                   "usage": {"prompt_tokens": 7, "completion_tokens": 9, "total_tokens": 16}})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()

        def delta(d, finish=None):
            self.event({"id": "fake-1", "object": "chat.completion.chunk", "model": body.get("model"),
                        "choices": [{"index": 0, "delta": d, "finish_reason": finish}]})
        for k, (cid, name, pieces) in enumerate(TOOL_CALLS):
            head = {"index": k, "id": cid, "type": "function", "function": {"name": name, "arguments": ""}}
            delta({"role": "assistant", "content": None, "tool_calls": [head]} if not k else {"tool_calls": [head]})
            for p in pieces:
                delta({"tool_calls": [{"index": k, "function": {"arguments": p}}]})
        delta({}, "tool_calls")
        self.event("[DONE]")

    def write(self, raw):
        if self.protocol_version == "HTTP/1.1":  # chunked: the connection stays open
            raw = b"%x\r\n%s\r\n" % (len(raw), raw)
        self.wfile.write(raw)
        self.wfile.flush()

    def event(self, obj):
        data = obj if isinstance(obj, str) else json.dumps(obj)
        self.write(f"data: {data}\n\n".encode())

    def chunk(self, body, chat, text, finish=None):
        choice = {"index": 0, "finish_reason": finish}
        choice.update({"delta": {"content": text} if text is not None else {}} if chat else {"text": text or ""})
        return {"id": "fake-1", "object": "chat.completion.chunk" if chat else "text_completion",
                "model": body.get("model"), "choices": [choice]}

    def stream(self, body, chat):
        srv, f = self.server, self.server.fault
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            if self.protocol_version == "HTTP/1.1":
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            if f == "stall":
                time.sleep(srv.stall_s)
            n = self.n_words(body)
            for i in range(n):
                if i == 2 and f == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if i == 2 and f == "error_event":
                    return self.event({"error": {"message": "fake upstream broke mid-stream", "type": "server_error"}})
                if i == 1 and f == "idle":
                    time.sleep(srv.stall_s)
                self.event(self.chunk(body, chat, WORDS[i % len(WORDS)]))
                with srv.lock:
                    srv.sent.append(time.monotonic())
                time.sleep(srv.token_s)
            self.event(self.chunk(body, chat, None, "stop"))
            if (body.get("stream_options") or {}).get("include_usage") and f != "no_usage":
                usage = {"prompt_tokens": 7, "completion_tokens": n, "total_tokens": 7 + n}
                if f == "c12_usage":
                    usage["c12"] = {"energy_j": 12.5, "energy_method": "rapl"}
                self.event({"id": "fake-1", "object": "chat.completion.chunk", "choices": [], "usage": usage})
            self.event("[DONE]")
            if self.protocol_version == "HTTP/1.1":
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            with srv.lock:
                srv.finished.append(time.monotonic())
        except (BrokenPipeError, ConnectionResetError):
            pass


class KeepAliveHandler(Handler):
    protocol_version = "HTTP/1.1"  # streams chunked, connections kept open between requests


def make_server(keepalive=False):
    srv = FakeServer(KeepAliveHandler if keepalive else Handler)
    srv.words = len(WORDS)
    srv.token_s = 0.0
    srv.stall_s = 3.0
    srv.sent = []      # when each token went out
    srv.finished = []  # when each stream ended
    srv.queue = None   # GET /metrics: vllm:num_requests_waiting summed to this (None: 404)
    return srv


if __name__ == "__main__":
    s = make_server()
    print(s.url, flush=True)
    s.serve_forever()
