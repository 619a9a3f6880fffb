#!/usr/bin/env python3
"""Writes the fixture seeds of the reply and stream fuzzers from the wire data in
../shared/fixtures/api-flavours/ (beside the repository): every flavour's reply bodies and error
bodies (fuzz/corpus/reply/<flavour>-*), and every flavour's recorded stream, whole, cut before
its final event and, where the fixture has one, with its in-stream error
(fuzz/corpus/stream/<flavour>-*). The input layouts are the ones fuzz/reply_fuzzer.cpp and
fuzz/stream_fuzzer.cpp describe. Standard library only; run from anywhere, commit what changes:

    python3 fuzz/seeds_from_fixtures.py
"""

import json
import pathlib
import struct
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "api-flavours"
CORPUS = ROOT / "fuzz" / "corpus"

# The flavour table's rows in api_flavour order (probes/adapter.hpp) and their fixture files.
FLAVOURS = [
    ("openai-chat", "openai-chat-stream.json"),
    ("openai-responses", "openai-responses.json"),
    ("anthropic-messages", "anthropic-messages.json"),
    ("azure-openai", "azure-openai-chat.json"),
    ("gemini", "gemini-generatecontent.json"),
    ("bedrock-converse", "bedrock-converse.json"),
]
# reply_fuzzer's status table.
STATUSES = [200, 200, 200, 200, 204, 301, 400, 401, 403, 404, 429, 500, 503, 529, 0]
# stream_fuzzer's Content-Type indices (byte 1, bits 0-1).
EVENT_STREAM, AMAZON_EVENTSTREAM = 0, 1
SSE_READER, AWS_READER, FIRST_DECODER = 0, 1, 2
PIECES = bytes([6, 63])  # stream_fuzzer piece sizes - 1: 7 and 64 bytes, in turn


def status_index(code):
    if code not in STATUSES:
        code = 400 if 400 <= code < 500 else 500
    return STATUSES.index(code)


def reply_seed(flavour, status, body, headers):
    """Byte 0 the flavour, byte 1 the status and header flags, then the header lines, the body."""
    head = status_index(status)
    lines = b""
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    if "retry-after" in lower:
        head |= 0x80
        lines += str(lower["retry-after"]).encode() + b"\n"
    if "x-amzn-errortype" in lower:
        head |= 0x40
        lines += str(lower["x-amzn-errortype"]).encode() + b"\n"
    return bytes([flavour, head]) + lines + body


def body_bytes(body):
    return body.encode() if isinstance(body, str) else json.dumps(body).encode()


def reply_seeds(index, fixture):
    response = fixture.get("response")
    if isinstance(response, dict):
        for key, body in response.items():
            if key.startswith("body") and not key.endswith("provenance"):
                yield key, reply_seed(index, 200, body_bytes(body), response.get("headers"))
    errors = fixture.get("errors")
    if isinstance(errors, dict):
        for key, e in errors.items():
            if isinstance(e, dict) and "body" in e and key[:3].isdigit():
                yield "error-" + key, reply_seed(
                    index, int(key[:3]), body_bytes(e["body"]), e.get("headers")
                )


def frame(headers, payload):
    """One AWS event stream message: prelude, string headers, payload, CRCs."""
    block = b""
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        block += bytes([len(n)]) + n + b"\x07" + struct.pack(">H", len(v)) + v
    total = 12 + len(block) + len(payload) + 4
    prelude = struct.pack(">II", total, len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + block + payload
    return message + struct.pack(">I", zlib.crc32(message))


def sse_event(e):
    """One fixture stream event as SSE text (a raw line, or event: + data:)."""
    if "raw" in e:
        return e["raw"].encode() + b"\n\n"
    if "data" not in e:
        return b""
    data = e["data"] if isinstance(e["data"], str) else json.dumps(e["data"], ensure_ascii=False)
    out = b"event: " + e["event"].encode() + b"\n" if "event" in e else b""
    return out + e.get("raw_line_prefix", "data: ").encode() + data.encode() + b"\n\n"


def stream_seeds(index, fixture):
    """(name, reader target, content type, body) of every stream the fixture records."""
    events = fixture.get("stream_events") or []
    if index == 5:  # Bedrock: binary frames; the failure variant is marked with a note
        good = [e for e in events if "note" not in e]
        failures = [e for e in events if "note" in e]
        pieces = [frame(e["headers"], json.dumps(e["payload"]).encode()) for e in good]
        errored = pieces[:2] + [
            frame(e["headers"], json.dumps(e["payload"]).encode()) for e in failures
        ]
        kind, reader = AMAZON_EVENTSTREAM, AWS_READER
    else:
        pieces = [sse_event(e) for e in events]
        errored = []
        in_stream = (fixture.get("errors") or {}).get("in_stream")
        if isinstance(in_stream, dict) and "data" in in_stream:
            errored = pieces[:2] + [sse_event({"event": "error", "data": in_stream["data"]})]
        kind, reader = EVENT_STREAM, SSE_READER
    yield "stream", reader, kind, b"".join(pieces)
    yield "cut", None, kind, b"".join(pieces[: max(1, len(pieces) // 2)])
    if errored:
        yield "error", None, kind, b"".join(errored)


def write(path, data):
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
        print("wrote", path.relative_to(ROOT))


def main():
    (CORPUS / "reply").mkdir(parents=True, exist_ok=True)
    (CORPUS / "stream").mkdir(parents=True, exist_ok=True)
    for index, (name, file) in enumerate(FLAVOURS):
        fixture = json.loads((FIXTURES / file).read_text())
        for seed, data in reply_seeds(index, fixture):
            write(CORPUS / "reply" / f"{name}-{seed}", data)
        for seed, reader, kind, body in stream_seeds(index, fixture):
            head = bytes([kind, len(PIECES)]) + PIECES
            write(CORPUS / "stream" / f"{name}-{seed}", bytes([FIRST_DECODER + index]) + head + body)
            if reader is not None:  # the framer alone, fed the same bytes
                write(CORPUS / "stream" / f"{name}-framing", bytes([reader]) + head + body)


if __name__ == "__main__":
    main()
