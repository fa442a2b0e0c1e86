#!/usr/bin/env python3
"""Writes the SSE transcripts of this folder and their expected events.

Each transcript NAME.sse comes with NAME.json: {"events": [{"event", "data",
"id", "retry"}...], "finish": "ok" | "IncompleteStream" | "EventTooLarge",
"maxEventSize": N (optional)}. The expectations are written from the events
put into the transcript, not by running a parser, so they are an independent
oracle for tst_sseparser. Run it from anywhere: python3 generate.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CONV = "conv_067f2a98c1a773678000ce73a36b785a"
MSG = "msg_067f2a9925d674ea8000e63c68ae0474"
AGENT = "ag_067f2a39ddd67bf68000fa921bc0c25d"


def payload(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def docs_events():
    """The streaming example of wire-format.md section 6.1, with non-ASCII deltas."""
    events = [
        {"type": "conversation.response.started", "conversation_id": CONV},
        {"type": "tool.execution.started", "output_index": 0,
         "id": "tool_exec_067f2a98ca357c8b8000ea212104b290", "name": "web_search"},
        {"type": "tool.execution.done", "output_index": 0,
         "id": "tool_exec_067f2a98ca357c8b8000ea212104b290", "name": "web_search"},
    ]
    for text in ["The", " café", " in Zürich", " serves", " 🍰 and ☕", " —", " 日本語", " too."]:
        events.append({"type": "message.output.delta", "output_index": 1, "id": MSG,
                       "content_index": 0, "model": "mistral-medium-latest",
                       "agent_id": AGENT, "role": "assistant", "content": text})
    events.append({"type": "conversation.response.done",
                   "usage": {"prompt_tokens": 18709, "total_tokens": 18892, "completion_tokens": 183}})
    return [(e["type"], payload(e)) for e in events]


def function_events():
    events = [{"type": "conversation.response.started", "conversation_id": CONV}]
    for fragment in ['{"city": "', "Paris", ' – Île', '-de-France"', ', "unit": "°C"}']:
        events.append({"type": "function.call.delta", "output_index": 0,
                       "id": "fc_0123456789abcdef0123456789abcdef", "name": "get_weather",
                       "tool_call_id": "call_Ab3dE5fG7", "arguments": fragment})
    events.append({"type": "conversation.response.done",
                   "usage": {"prompt_tokens": 42, "total_tokens": 60, "completion_tokens": 18}})
    return [(e["type"], payload(e)) for e in events]


def framed(events, eol):
    out = ""
    for name, data in events:
        out += "event: " + name + eol + "data: " + data + eol + eol
    return out


def expected(events, finish="ok", **extra):
    result = {"events": [{"event": n, "data": d, "id": "", "retry": None} for n, d in events],
              "finish": finish}
    result.update(extra)
    return result


def write(name, text, expectation):
    with open(os.path.join(HERE, name + ".sse"), "wb") as f:
        f.write(text.encode("utf-8"))
    with open(os.path.join(HERE, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(expectation, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    docs = docs_events()
    write("docs-lf", framed(docs, "\n"), expected(docs))
    write("docs-crlf", framed(docs, "\r\n"), expected(docs))
    write("docs-cr", framed(docs, "\r"), expected(docs))
    write("docs-bom", "\ufeff" + framed(docs, "\r\n"), expected(docs))
    calls = function_events()
    write("function-call", framed(calls, "\n"), expected(calls))

    # Everything at once: BOM, mixed line endings, comments, keep-alives,
    # multi-line data, id and retry, a message without data, unknown fields,
    # a line without a colon, and a stream that ends mid-event.
    text = ("\ufeff: hello\r\n"
            "retry: 2500\r\n"
            "\r\n"
            "event: message.output.delta\n"
            "id: 1\n"
            "data: {\"type\":\"message.output.delta\",\n"
            "data:  \"content\":\"Grüße\"}\r"
            "\r"
            ": keep-alive\n"
            "\n"
            "event: ignored-without-data\r\n"
            "id: 2\r\n"
            "\r\n"
            "unknown: field\n"
            "data\n"
            "data:no space\n"
            "data:\n"
            "\n"
            "event: tool.execution.delta\r"
            "retry: 10x\r"
            "retry: 700\r"
            "data: {\"type\":\"tool.execution.delta\",\"arguments\":\"print('ok')\"}\r\n"
            "\r\n"
            "event: conversation.response.done\n"
            "data: {\"type\":\"conversation.response.done\"")
    events = [
        {"event": "message.output.delta", "id": "1", "retry": None,
         "data": "{\"type\":\"message.output.delta\",\n \"content\":\"Grüße\"}"},
        {"event": "", "id": "2", "retry": None, "data": "\nno space\n"},
        {"event": "tool.execution.delta", "id": "2", "retry": 700,
         "data": "{\"type\":\"tool.execution.delta\",\"arguments\":\"print('ok')\"}"},
    ]
    write("mixed", text, {"events": events, "finish": "IncompleteStream"})

    # The limit: with maxEventSize 64, the retained event name (1 byte) plus the
    # second data line (64 bytes) is 1 byte too many.
    small = "event: e\ndata: " + "x" * 40 + "\n\n"
    big = "event: e\ndata: " + "y" * 58 + "\n\n"
    write("too-large", small + big + small,
          {"events": [{"event": "e", "data": "x" * 40, "id": "", "retry": None}],
           "finish": "EventTooLarge", "maxEventSize": 64})


if __name__ == "__main__":
    main()
