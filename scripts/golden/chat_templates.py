"""Extract the chat template test cases of llama.cpp's tests/test-chat-template.cpp
(llama-cpp-python 0.3.36's sdist, vendor/llama.cpp, MIT) into JSON lines for
tests/golden/chat_templates.jsonl: each case's name, template text, the output
llama.cpp's renderer without Jinja gives for the fixed conversation
(expected_output), and any extra messages. Usage:
    python3 scripts/golden/chat_templates.py SDIST_DIR > tests/golden/chat_templates.jsonl"""
import json
import re
import sys

ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


def literal(src, i):
    """The C string literal(s) at src[i:] (u8 prefixes, U8C(), concatenation): (text, end)."""
    out = []
    while True:
        m = re.compile(r'\s*(?:U8C\()?\s*(?:u8)?"').match(src, i)
        if not m:
            break
        i = m.end()
        buf = bytearray()
        while src[i] != '"':
            c = src[i]
            if c == "\\":
                n = src[i + 1]
                if n == "x":
                    h = re.compile(r"[0-9a-fA-F]+").match(src, i + 2).group(0)
                    buf.append(int(h, 16))
                    i += 2 + len(h)
                    continue
                if n == "u":
                    buf += chr(int(src[i + 2:i + 6], 16)).encode()
                    i += 6
                    continue
                buf += ESC[n].encode()
                i += 2
                continue
            buf += c.encode()
            i += 1
        out.append(buf.decode("utf-8"))
        i += 1
        m = re.compile(r"\s*\)").match(src, i)
        if m and "U8C(" in src[max(0, i - 400):i]:
            i = m.end()
    return "".join(out), i


def main(sdist):
    src = open(f"{sdist}/vendor/llama.cpp/tests/test-chat-template.cpp", encoding="utf-8").read()
    start = src.index("std::vector<TestCase> test_cases {")
    end = src.index("for (const auto & test_case : test_cases)", start)
    body = src[start:end]
    for m in re.finditer(r"/\* \.name= \*/", body):
        case = {}
        case["name"], _ = literal(body, m.end())
        nxt = body.find("/* .name= */", m.end())
        chunk = body[m.end(): nxt if nxt > 0 else len(body)]
        for key in ("template_str", "expected_output", "bos_token", "eos_token"):
            k = re.search(r"/\* \.%s=? \*/" % key, chunk)  # one case writes ".template_str" bare
            if k:
                case[key], _ = literal(chunk, k.end())
        case["extra"] = []
        k = chunk.find("/* .extra_conversation= */")
        if k >= 0:
            line = chunk[k: chunk.index("\n", k)]
            for em in re.finditer(r'\{"(\w+)",', line):
                content, _ = literal(line, em.end())
                case["extra"].append({"role": em.group(1), "content": content})
        print(json.dumps(case, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
