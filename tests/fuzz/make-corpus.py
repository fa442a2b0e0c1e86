#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into corpus/<target>/.

fuzz_sseparser: the transcripts of tests/data/sse, each behind the two
control bytes the target reads first (limit, chunking seed).
fuzz_json: every data payload of those transcripts, plus entries and events
of every type from wire-format.md (sections 4, 6 and 14).
fuzz_workflowloader: the workflows of workflows/ and tests/data/workflows/,
and the hostile ones of tests/data/hostile/ (alias cycles, billion laughs,
deep nesting, a second document, text that is not UTF-8).
fuzz_emulatorscript: the scripts of workflows/scripts/ and tests/data/,
the built-in script, and the hostile scripts of tests/data/hostile/.
"""
import glob
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))
SSE = os.path.join(HERE, "..", "data", "sse")


def write(target, content):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(content).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(content)


def main():
    payloads = []
    for path in sorted(glob.glob(os.path.join(SSE, "*.sse"))):
        with open(path, "rb") as f:
            stream = f.read()
        expectation = json.load(open(path[:-4] + ".json", encoding="utf-8"))
        limit = expectation.get("maxEventSize")
        first = bytes([limit - 1]) if limit and limit <= 0xC0 else b"\xff"
        write("fuzz_sseparser", first + b"\x07" + stream)
        write("fuzz_sseparser", b"\x10\x03" + stream[:200])   # a small limit
        payloads += [e["data"].encode("utf-8") for e in expectation["events"]]

    extra = [
        {"type": "conversation.response.error", "message": "boom", "code": 3000},
        {"type": "tool.execution.delta", "output_index": 0, "id": "tool_exec_1", "name": "code_interpreter",
         "arguments": "print("},
        {"type": "tool.execution.done", "output_index": 0, "id": "tool_exec_1", "name": "web_search",
         "info": {"query": "x"}},
        {"type": "agent.handoff.started", "output_index": 0, "id": "h_1", "previous_agent_id": "ag_1",
         "previous_agent_name": "a"},
        {"type": "agent.handoff.done", "output_index": 0, "id": "h_1", "next_agent_id": "ag_2",
         "next_agent_name": "b"},
        {"type": "message.output.delta", "id": "msg_1", "content": {"type": "text", "text": "hi"}},
        {"type": "message.output.delta", "id": "msg_1", "content": {"type": "tool_reference", "tool": "web_search",
                                                                     "title": "t", "url": "https://x"}},
        {"type": "function.call.delta", "id": "fc_1", "name": "f", "tool_call_id": "c", "arguments": "{",
         "confirmation_status": "pending"},
        {"type": "something.new", "x": 1},
        {"content": "Albert Einstein était ...", "object": "entry", "type": "message.output",
         "created_at": "2025-06-16T09:19:56.901953Z", "completed_at": "2025-06-16T09:20:03.257737Z",
         "id": "msg_0684fe1bce6e72bc8000f89d886633fe", "agent_id": "ag_0684fe0e0b98773e8000323fc71a3986",
         "model": "mistral-medium-latest", "role": "assistant"},
        {"role": "user", "content": "Who is Albert Einstein?", "object": "entry", "type": "message.input"},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": "https://i"}],
         "type": "message.input"},
        {"tool_call_id": "6TI17yZkV", "name": "get_european_central_bank_interest_rate",
         "arguments": "{\"date\": \"2024-06-06\"}", "object": "entry", "type": "function.call",
         "created_at": "2025-05-27T11:34:39.610632Z", "completed_at": None, "id": "fc_06835a34f9c47fc88000e0370a295774"},
        {"tool_call_id": "6TI17yZkV", "name": "f", "arguments": {"date": "2024-06-06"}, "type": "function.call"},
        {"tool_call_id": "6TI17yZkV", "result": "{\"interest_rate\": \"2.5%\"}", "object": "entry",
         "type": "function.result"},
        {"type": "tool.execution", "name": "web_search", "object": "entry", "id": "tool_exec_1"},
        {"type": "agent.handoff", "previous_agent_id": "a", "previous_agent_name": "A", "next_agent_id": "b",
         "next_agent_name": "B", "object": "entry"},
        {"type": "message.output", "role": "assistant",
         "content": [{"type": "thinking", "thinking": [{"type": "text", "text": "hm"}]},
                     {"type": "tool_file", "tool": "code_interpreter", "file_id": "f"},
                     {"type": "document_url", "document_url": "https://d"},
                     {"type": "tool_reference", "tool": "web_search", "title": "t", "source": "s"}]},
    ]
    payloads += [json.dumps(o, ensure_ascii=False).encode("utf-8") for o in extra]
    for payload in payloads:
        write("fuzz_json", payload)

    def files(*patterns):
        found = set()
        for pattern in patterns:
            found.update(glob.glob(os.path.join(SOURCE, pattern), recursive=True))
        for path in sorted(found):
            with open(path, "rb") as f:
                yield f.read()

    for text in files("workflows/*.yaml", "tests/data/workflows/**/*.yaml", "tests/data/hostile/*.yaml"):
        if b"\nrules:" not in text and not text.startswith(b"rules:"):
            write("fuzz_workflowloader", text)
    for text in files("workflows/scripts/*.yaml", "tests/data/workflows/**/*.script.yaml",
                      "tests/data/emulator/*.yaml", "tests/data/hostile/*.script.yaml",
                      "runtime/emulator/defaultscript.yaml"):
        write("fuzz_emulatorscript", text)


if __name__ == "__main__":
    main()
