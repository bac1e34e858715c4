#!/usr/bin/env python3
"""make-corpus.py — writes the seed corpus of the libFuzzer targets to tests/fuzz/corpus/<target>/.

Seeds are small valid inputs the fuzzer mutates from: GGUF files written here (every metadata type, tiny
tensors of several dtypes, v2 and v3, a custom alignment) and the tokenizer metadata of the fixture models
(tests/fixtures/models, tensors left out); WAV files of every supported sample format and chunk layout; the note
templates (templates/*.schema.json) and small schemas per feature; grammars, patterns and texts taken from the
unit tests' tables; PNG and JPEG files of tests/fixtures/vision (fuzz-image); HTTP request heads for `sotto serve` (served as 127.0.0.1:8080 by fuzz-http.cpp), valid and
hostile, alone and pipelined. Run from anywhere: python3 tests/fuzz/make-corpus.py (deterministic; rewrites the folder).
"""
import hashlib
import json
import math
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")

# ---- GGUF

U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<?", U64: "<Q",
       I64: "<q", F64: "<d"}


def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gval(t, v):
    if t == STRING:
        return gstr(v)
    if t == ARRAY:
        et, items = v
        return struct.pack("<IQ", et, len(items)) + b"".join(gval(et, x) for x in items)
    return struct.pack(FMT[t], v)


def gguf(kvs, tensors=(), version=3, alignment=32):
    """kvs: [(key, type, value)]; tensors: [(name, dtype id, shape, data bytes)]."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    for k, t, v in kvs:
        out += gstr(k) + struct.pack("<I", t) + gval(t, v)
    offset, blobs = 0, []
    for name, dt, shape, data in tensors:
        out += gstr(name) + struct.pack("<I", len(shape)) + b"".join(struct.pack("<Q", n) for n in shape)
        out += struct.pack("<IQ", dt, offset)
        blobs.append((offset, data))
        offset += (len(data) + alignment - 1) // alignment * alignment
    out += b"\0" * (-len(out) % alignment)
    data = bytearray(offset)
    for off, blob in blobs:
        data[off:off + len(blob)] = blob
    return out + bytes(data)


def f32s(xs):
    return b"".join(struct.pack("<f", x) for x in xs)


def gguf_seeds():
    every_type = [
        ("general.architecture", STRING, "llama"), ("t.u8", U8, 7), ("t.i8", I8, -7), ("t.u16", U16, 700),
        ("t.i16", I16, -700), ("t.u32", U32, 70000), ("t.i32", I32, -70000), ("t.f32", F32, 0.5),
        ("t.bool", BOOL, True), ("t.u64", U64, 1 << 40), ("t.i64", I64, -(1 << 40)), ("t.f64", F64, 2.25),
        ("t.strs", ARRAY, (STRING, ["a", "bc", ""])), ("t.i32s", ARRAY, (I32, [1, -2, 3])),
        ("t.f32s", ARRAY, (F32, [0.5, -1.0])), ("t.bools", ARRAY, (BOOL, [True, False])),
        ("t.u8s", ARRAY, (U8, [1, 2, 255])), ("t.f64s", ARRAY, (F64, [1e300])),
    ]
    # dtype ids: F32 0, F16 1, Q4_0 2, Q8_0 8, BF16 30 (Q4_0 block 18 bytes / 32, Q8_0 34 / 32).
    tensors = [
        ("token_embd.weight", 0, [4, 2], f32s(range(8))),
        ("blk.0.attn_q.weight", 1, [8], struct.pack("<8e", *[0.5] * 8)),
        ("blk.0.ffn_up.weight", 8, [32, 2], (struct.pack("<e", 0.1) + bytes(range(32))) * 2),
        ("blk.0.ffn_down.weight", 2, [32], struct.pack("<e", 0.1) + bytes(range(16))),
        ("output_norm.weight", 30, [4], b"\x80\x3f" * 4),
    ]
    yield "every-type-v3", gguf(every_type, tensors)
    yield "every-type-v2", gguf(every_type, tensors[:2], version=2)
    yield "alignment-64", gguf([("general.alignment", U32, 64)] + every_type[:3], tensors[:3], alignment=64)
    yield "empty", gguf([], [])


def fixture_metadata(path):
    """The fixture model's metadata as a GGUF without tensors (the tokenizer keys included)."""
    b = open(path, "rb").read()
    n_kv = struct.unpack_from("<Q", b, 16)[0]
    pos = 24

    def skip_val(t, pos):
        if t == STRING:
            return pos + 8 + struct.unpack_from("<Q", b, pos)[0]
        if t == ARRAY:
            et, n = struct.unpack_from("<IQ", b, pos)
            pos += 12
            if et == STRING:
                for _ in range(n):
                    pos = skip_val(STRING, pos)
                return pos
            return pos + n * struct.calcsize(FMT[et])
        return pos + struct.calcsize(FMT[t])

    for _ in range(n_kv):
        pos += 8 + struct.unpack_from("<Q", b, pos)[0]
        t = struct.unpack_from("<I", b, pos)[0]
        pos = skip_val(t, pos + 4)
    return b[:4] + struct.pack("<IQQ", 3, 0, n_kv) + b[24:pos]


def tokenizer_seeds():
    models = os.path.join(ROOT, "tests", "fixtures", "models")
    for name in ["llama32-q4_0", "qwen25-q4_0", "smollm2-q8_0", "gemma3-q4_0"]:
        yield name + "-metadata", fixture_metadata(os.path.join(models, name + ".gguf"))
    # Byte-level with merges and added tokens, small enough to mutate quickly.
    tokens = ["a", "b", "c", "ab", "bc", "abc", "\u0120", "\u0120a", "<|im_start|>", "<|im_end|>", "<tag>"]
    yield "tiny-byte-level", gguf([
        ("tokenizer.ggml.model", STRING, "gpt2"), ("tokenizer.ggml.pre", STRING, "qwen2"),
        ("tokenizer.ggml.tokens", ARRAY, (STRING, tokens)),
        ("tokenizer.ggml.token_type", ARRAY, (I32, [1] * 8 + [3, 3, 4])),
        ("tokenizer.ggml.merges", ARRAY, (STRING, ["a b", "ab c", "b c", "\u0120 a"])),
        ("tokenizer.ggml.bos_token_id", U32, 8), ("tokenizer.ggml.eos_token_id", U32, 9),
        ("tokenizer.ggml.eot_token_id", U32, 9)])
    spm = ["<unk>", "<s>", "</s>", "<start_of_turn>", "<end_of_turn>", "\u2581", "a", "b", "\u2581a", "ab"]
    spm += ["<0x%02X>" % b for b in range(256)]
    yield "tiny-spm", gguf([
        ("tokenizer.ggml.model", STRING, "llama"), ("tokenizer.ggml.tokens", ARRAY, (STRING, spm)),
        ("tokenizer.ggml.scores", ARRAY, (F32, [0, 0, 0, 0, 0, -1, -2, -2, -1.5, -1.5] + [0] * 256)),
        ("tokenizer.ggml.token_type", ARRAY, (I32, [2, 3, 3, 3, 3, 1, 1, 1, 1, 1] + [6] * 256)),
        ("tokenizer.ggml.bos_token_id", U32, 1), ("tokenizer.ggml.eos_token_id", U32, 2),
        ("tokenizer.ggml.unknown_token_id", U32, 0), ("tokenizer.ggml.add_bos_token", BOOL, True)])


# ---- WAV


def riff(chunks):
    body = b"WAVE"
    for cid, data in chunks:
        body += cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def fmt_chunk(tag, channels, rate, bits, ext_subformat=None):
    ba = channels * bits // 8
    data = struct.pack("<HHIIHH", tag, channels, rate, rate * ba, ba, bits)
    if ext_subformat is not None:
        guid = struct.pack("<H", ext_subformat) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        data += struct.pack("<HHI", 22, bits, 3 if channels == 2 else 4) + guid
    return data


def tone(n, channels):
    return [math.sin(0.3 * i + c) * 0.8 for i in range(n) for c in range(channels)]


def pcm(samples, bits):
    if bits == 8:
        return bytes(int(128 + x * 127) for x in samples)
    if bits == 16:
        return b"".join(struct.pack("<h", int(x * 32767)) for x in samples)
    if bits == 24:
        return b"".join(struct.pack("<i", int(x * 8388607))[:3] for x in samples)
    return b"".join(struct.pack("<i", int(x * 2147483647)) for x in samples)


def wav_seeds():
    n = 48
    for bits in (8, 16, 24, 32):
        yield "pcm%d-mono" % bits, riff([(b"fmt ", fmt_chunk(1, 1, 16000, bits)), (b"data", pcm(tone(n, 1), bits))])
    yield "pcm16-stereo", riff([(b"fmt ", fmt_chunk(1, 2, 44100, 16)), (b"data", pcm(tone(n, 2), 16))])
    yield "float32", riff([(b"fmt ", fmt_chunk(3, 1, 16000, 32)), (b"data", f32s(tone(n, 1) + [float("nan"), 3.0]))])
    yield "float64-stereo", riff([(b"fmt ", fmt_chunk(3, 2, 8000, 64)),
                                  (b"data", b"".join(struct.pack("<d", x) for x in tone(n, 2)))])
    yield "extensible-pcm24", riff([(b"fmt ", fmt_chunk(0xFFFE, 2, 48000, 24, ext_subformat=1)),
                                    (b"data", pcm(tone(n, 2), 24))])
    yield "extensible-float", riff([(b"fmt ", fmt_chunk(0xFFFE, 1, 16000, 32, ext_subformat=3)),
                                    (b"data", f32s(tone(n, 1)))])
    yield "list-odd-chunk-first", riff([(b"LIST", b"INFOabc"), (b"fmt ", fmt_chunk(1, 1, 16000, 16)),
                                        (b"data", pcm(tone(n, 1), 16))])
    truncated = riff([(b"fmt ", fmt_chunk(1, 1, 16000, 16)), (b"data", pcm(tone(n, 1), 16))])
    yield "truncated-data", truncated[:-31]


# ---- Text targets

SCHEMAS = [
    '{"type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":20},'
    '"age":{"type":"integer","minimum":0,"maximum":130}},"required":["name"],"additionalProperties":false}',
    '{"type":"array","items":{"type":"number","exclusiveMinimum":-1.5,"maximum":2.25},"minItems":1,"maxItems":3}',
    '{"type":"string","pattern":"^[A-Z][0-9]{2}(\\\\.[0-9]{1,2})?$","maxLength":6}',
    '{"anyOf":[{"type":"null"},{"type":"string","format":"date"},{"type":"string","format":"date-time"}]}',
    '{"oneOf":[{"type":"object","properties":{"k":{"const":"a"},"v":{"type":"boolean"}},"required":["k"]},'
    '{"type":"object","properties":{"k":{"const":"b"}},"required":["k"]}]}',
    '{"$defs":{"node":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},'
    '"$ref":"#/$defs/node"}',
    '{"enum":["red","green",1,null,true]}',
    '{"type":["integer","null"],"multipleOf":5,"minimum":-20,"maximum":40}',
    '{"type":"object","additionalProperties":{"type":"string","format":"uuid"}}',
    '{"type":"string","format":"time"}',
    'true',
    '{"allOf":[{"type":"string","pattern":"x(ab|c){2,5}y"}]}',
]

PATTERNS = [
    "^[A-Z][0-9]{2}(\\.[0-9]{1,2})?$", "^z+$", "x[0-9]", "^(ab|c)*$", "^[^<>]*$", "^[^<]{2}[^>]*$",
    "^a+b?$", "^é\\d{2,}$", "^(a?)*b$", "^[A-Z]{2}[0-9]{0,8}$", "x(ab|c){2,50}y", "^.{0,3}$",
    "^\\w+@\\w+\\.(com|org)$", "\\s\\S\\D\\W[\\u00e9-\\u00ff]", "^(?:ab|[^\\]\\-x])$", "\\uD83D\\uDE00",
]

GRAMMARS = [
    ('root ::= "abc"', "abc"),
    ('root ::= [a-c]+', "abcabc"),
    ('root ::= "x"?  "y"', "xy"),
    ('root ::= [0-9]{2,4}', "123"),
    ('root ::= [^"\\\\]*', "é中😀"),
    ('root ::= .', "😀"),
    ('root ::= [α-ω]', "λ"),
    ('root ::= [\\u4e00-\\u9fff]+', "中文"),
    ('root ::= "\\u00e9\\x41\\n"', "éA\n"),
    ('root ::= item ("," item)*\nitem ::= [a-z]+ | "(" root ")"', "(a,b),c"),
    ('root ::= ( "a"\n   | "b" ) "c"\n  | "d"   # comment\n', "bc"),
    ('root ::= "{" ws "\\"name\\"" ws ":" ws str ws "}"\nstr ::= "\\"" ( [^"\\\\\\x00-\\x1f] | "\\\\" ["\\\\nt] )* "\\""\n'
     'ws ::= [ \\n]{0,4}', '{ "name" : "Zoë \\"x\\""}'),
]

TEXTS = [
    "Hello world", "The patient's blood pressure was 120/80 mmHg.\n\nPlan: recheck in 2 weeks.",
    "  mixed\t\ttext 42\r\n\r\nwith 'quotes' and 😀👍🏽 — ok?  \n", "I'LL go, they've 12345 $5",
    "e\u0301 A\u030a \u212b Ǆ 中文 ▁space", "<|im_start|>user\nhi<|im_end|>", "<tag>x<tag>", b"bad \xff byte \xe2\x96",
    "https://example.org/a?b=c",
]


def json_seeds():
    for f in sorted(os.listdir(os.path.join(ROOT, "templates"))):
        if f.endswith(".json"):
            yield f, open(os.path.join(ROOT, "templates", f), "rb").read()
    for i, s in enumerate(SCHEMAS):
        yield "schema-%d" % i, s.encode()
    yield "scalars", b'[0, -0, 1.5e-7, -2E+30, 1e400, "\\u00e9\\ud83d\\ude00\\n", true, false, null, {}, []]'
    with open(os.path.join(ROOT, "tests", "fixtures", "notes", "heldout.jsonl"), "rb") as f:
        yield "heldout-line", f.readline().strip()


# ---- HTTP (fuzz-http.cpp serves a small site as 127.0.0.1:8080)

def http_seeds():
    host = "Host: 127.0.0.1:8080\r\n"

    def get(path, extra="", method="GET"):
        return "%s %s HTTP/1.1\r\n%s%s\r\n" % (method, path, host, extra)

    yield "get-index", get("/", "Connection: close\r\n")
    yield "head-app", get("/app.js", method="HEAD")
    yield "pipelined", get("/app.js") + get("/wasm/sotto.mjs") + get("/models/note.gguf", "Connection: close\r\n")
    yield "same-origin", get("/templates/soap.schema.json",
                             "Origin: http://127.0.0.1:8080\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors\r\n")
    yield "engine-query", get("/engine/sotto.wasm?v=1#x") + get("/models/m.gguf") + get("/sub/page.html")
    yield "traversal", get("/%2e%2e/secret.html") + get("/web/../../secret.js") + get("/up/secret.html")
    yield "symlink", get("/link.html")
    yield "bad-escape", get("/%zz") + get("/index.html%00.png")
    yield "other-host", "GET /app.js HTTP/1.1\r\nHost: evil.example:8080\r\n\r\n"
    yield "two-hosts", "GET / HTTP/1.1\r\n" + host + "Host: localhost:8080\r\n\r\n"
    yield "other-origin", get("/models/note.gguf", "Origin: http://evil.example\r\n")
    yield "cross-site", get("/models/note.gguf", "Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\n") + \
        get("/", "Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\n")
    yield "post-body", get("/", "Content-Length: 5\r\n", "POST") + "hello" + get("/app.js")
    yield "chunked", get("/app.js", "Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n"
    yield "ranges", get("/app.js", "Range: bytes=0-3\r\n") + get("/app.js", "Range: bytes=x\r\n")
    yield "expect", get("/app.js", "Expect: 100-continue\r\n")
    yield "http10", "GET /app.js HTTP/1.0\r\n\r\n" + "GET / HTTP/1.0\r\n" + host + "Connection: Keep-Alive\r\n\r\n"
    yield "garbage", "garbage\r\n\r\n"
    yield "bare-lf", "GET / HTTP/1.1\n" + host.replace("\r\n", "\n") + "\n"
    yield "unfinished", "GET /app.js HTTP/1.1\r\n" + host


# ---- the API's request bodies (fuzz-api.cpp: first byte 0 = chat, 1 = completions, 2 = embeddings)
def api_seeds():
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Patient reports a headache."}]
    schema = {"type": "object", "properties": {"days": {"type": "integer", "minimum": 0}}, "required": ["days"]}
    yield "chat", 0, {"model": "sotto-notes-q8_0", "messages": msgs, "temperature": 0, "max_tokens": 16}
    yield "chat-stream", 0, {"messages": msgs, "stream": True, "stream_options": {"include_usage": True},
                             "seed": 7, "top_p": 0.9, "stop": ["\n", "END"]}
    yield "chat-schema", 0, {"messages": msgs, "response_format": {"type": "json_schema",
                                                                   "json_schema": {"name": "x", "schema": schema}}}
    yield "chat-parts", 0, {"messages": [{"role": "developer", "content": [{"type": "text", "text": "a"}]},
                                         {"role": "user", "content": "b"}], "response_format": {"type": "json_object"}}
    yield "chat-bad", 0, {"messages": [{"role": "tool", "content": None}], "n": 2, "tools": [{}]}
    tool = {"type": "function", "function": {"name": "get_weather", "description": "Weather",
                                              "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                             "required": ["city"]}}}
    yield "chat-tools", 0, {"messages": msgs, "tools": [tool], "tool_choice": "required"}
    yield "chat-tool-turns", 0, {"messages": [{"role": "user", "content": "x"},
                                              {"role": "assistant", "content": None, "tool_calls": [
                                                  {"id": "c", "type": "function", "function": {
                                                      "name": "get_weather", "arguments": "{\"city\": \"P\"}"}}]},
                                              {"role": "tool", "tool_call_id": "c", "content": "18 C"}],
                                 "tools": [tool], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}
    yield "call-text", 0, {"name": "get_weather", "arguments": {"city": "P"}, "messages": msgs, "tools": [tool]}
    yield "completion", 1, {"prompt": "The patient", "max_tokens": 12, "stop": "x", "frequency_penalty": 0.5}
    yield "embeddings", 2, {"model": "bert-f32", "input": ["hello world", "a"], "encoding_format": "base64"}
    yield "embeddings-one", 2, {"input": "the cat sat", "dimensions": 64}
    yield "completion-array", 1, {"prompt": ["The patient"], "echo": False, "logprobs": None}


def commands_seeds():
    """Command sets (apps/voice/commands.h) and an utterance after a NUL: fuzz-commands."""
    speed = {"commands": [
        {"name": "lights_on", "say": ["turn on the lights in the {room}"],
         "slots": {"room": {"enum": ["kitchen", "loading bay"]}}, "examples": ["turn on the lights in the kitchen"]},
        {"name": "set_speed", "say": ["set line {line} speed to {speed} percent"],
         "slots": {"line": {"type": "integer", "minimum": 1, "maximum": 4},
                   "speed": {"type": "number", "minimum": 0, "maximum": 120}}, "confirm": True}]}
    ambiguous = {"commands": [{"name": "go", "say": ["go {a} {b}"],
                               "slots": {"a": {"enum": ["up", "up up"]}, "b": {"enum": ["up", "up up"]}}}]}
    timer = {"commands": [{"name": "t", "say": ["start a timer for {m} minutes"],
                           "slots": {"m": {"type": "integer", "minimum": 1, "maximum": 2000}}}]}
    return [("set-speed", speed, "Please set line two speed to seventy-five point five percent."),
            ("ambiguous", ambiguous, "go up up up"),
            ("numbers", timer, "start a timer for one thousand nine hundred and ninety nine minutes")]


def image_seeds():
    """Small PNG (grey, palette, RGBA, RGB) and JPEG (EXIF orientation 6) files of tests/fixtures/vision."""
    d = os.path.join(ROOT, "tests", "fixtures", "vision")
    for n in ("images-grey.png", "images-palette.png", "images-rgba.png", "images-orient-6.jpg", "images-orient-1.jpg",
              "processor-small.png"):
        yield n, open(os.path.join(d, n), "rb").read()


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:8]
    with open(os.path.join(d, "%s-%s" % (name, h)), "wb") as f:
        f.write(data)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    for name, data in gguf_seeds():
        write("gguf", name, data)
    for name, data in tokenizer_seeds():
        write("tokenizer-gguf", name, data)
        if name.startswith("tiny"):
            write("gguf", name, data)
    for name, data in wav_seeds():
        write("wav", name, data)
    for name, data in image_seeds():
        write("image", name, data)
    for name, data in json_seeds():
        write("json", name, data)
        if name.endswith(".json") or name.startswith("schema"):
            write("json-schema", name, b"\x00" + data)
    write("json-schema", "compact-soap", b"\x01" + open(os.path.join(ROOT, "templates", "soap.schema.json"), "rb").read())
    for i, p in enumerate(PATTERNS):
        bounds = [b"\x00\x0f", b"\x02\x08", b"\x00\x05", b"\x01\x0f"][i % 4]
        write("regex", "pattern-%d" % i, bounds + p.encode())
    for i, (g, sample) in enumerate(GRAMMARS):
        write("gbnf", "grammar-%d" % i, g.encode() + b"\0" + sample.encode())
    for name, text in http_seeds():
        write("http", name, text.encode())
    for name, endpoint, body in api_seeds():
        write("api", name, bytes([endpoint]) + json.dumps(body).encode())
    for name, cset, utterance in commands_seeds():
        write("commands", name, json.dumps(cset).encode() + b"\0" + utterance.encode())
    for i, t in enumerate(TEXTS):
        raw = t if isinstance(t, bytes) else t.encode()
        for sel in range(7):
            write("tokenizer", "text-%d-%d" % (i, sel), bytes([sel | (0x80 if i % 2 else 0)]) + raw)


if __name__ == "__main__":
    main()
