"""base.py — a base model for LoRA from outside this tool: any GGUF of the supported decoders (llama, qwen2,
gemma3; SmolLM2 is llama) or a Hugging Face directory (config.json + *.safetensors + tokenizer.json), read into
the config and HF-named weight dict that model.from_weights takes, and written back to GGUF with the base's
tokenizer metadata; plus tokenization with the base's vocabulary through the engine (`sotto tokenize`).

GGUF read-back inverts tools/ref/export.py (and llama.cpp's converter, which it follows):
  - tensors F32, F16, BF16, Q8_0, Q4_0, Q4_K are dequantized (tools/ref/quants.py) to float64;
  - arch llama: the rows of attn_q / attn_k are un-permuted per head (back to rotate_half order);
  - gemma3: norm weights are stored as 1 + w, read back as stored - 1;
  - no output.weight: tied embeddings (no lm_head.weight in the dict);
  - Llama 3 RoPE scaling arrives as rope_freqs.weight (divisors), kept in cfg["rope_freq_factors"], which
    tools/ref/arch.py applies and export.py writes back; gemma3's local RoPE base is rope.freq_base_swa
    (default 10000), its window pattern 5 local : 1 global; {arch}.attention.scale becomes
    query_pre_attn_scalar = scale^-2.
Written back by tools/ref/export.py with every tokenizer.* key of the base copied byte for byte (and the
attention.scale / rope.freq_base_swa keys export.py does not write).

HF tokenizer.json -> GGUF tokenizer metadata, mirroring the engine's Tokenizer::from_json (src/text/tokenizer.cpp):
BPE only; byte_fallback -> "llama" (SentencePiece-style, merges kept so the merge ranks apply, scores 0),
else "gpt2" with the pre-tokenizer told apart by its pattern (llama-bpe, qwen2, smollm, gpt2); added tokens are
control (3) when special, user-defined (4) otherwise; <0xNN> pieces of a byte-fallback vocabulary are bytes (6).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ref"))
import export as gguf_export  # noqa: E402
import ggufw  # noqa: E402
import quants  # noqa: E402
import safetensors  # noqa: E402

ARCHS = ("llama", "qwen2", "gemma3")


# ---------------------------------------------------------------- GGUF
def dequant(dt, ne, raw):
    """float32 numpy array of shape ne reversed (rows x cols for a matrix)."""
    n = int(np.prod(ne))
    if dt == ggufw.T_F32:
        x = np.frombuffer(raw, "<f4", count=n)
    elif dt == ggufw.T_F16:
        x = np.frombuffer(raw, "<f2", count=n).astype(np.float32)
    elif dt == ggufw.T_BF16:
        x = quants.bf16_dequant(np.frombuffer(raw, "<u2", count=n))
    elif dt == ggufw.T_Q8_0:
        x = quants.dq8_0(raw, n)
    elif dt == ggufw.T_Q4_0:
        x = quants.dq4_0(raw, n)
    elif dt == ggufw.T_Q4_K:
        x = quants.dq4_k(raw, n)
    else:
        raise ValueError(f"tensor type {dt} is not supported (F32, F16, BF16, Q8_0, Q4_0, Q4_K)")
    return np.asarray(x, np.float32).reshape(list(reversed(ne)))


def unpermute_rows(w, n_head):
    """Inverse of export.permute_rows: [a0, b0, a1, b1, ..] per head back to [a0..a(h-1), b0..]."""
    rows = w.shape[0]
    hd = rows // n_head
    rest = w.shape[1:]
    return w.reshape((n_head, hd // 2, 2) + rest).swapaxes(1, 2).reshape((rows,) + rest)


def config_from_gguf(kv, tensors, path="model"):
    a = kv.get("general.architecture")
    if a not in ARCHS:
        raise ValueError(f"{path}: architecture {a!r} is not supported (supported: {', '.join(ARCHS)})")
    gemma = a == "gemma3"

    def get(k, default=None):
        v = kv.get(f"{a}.{k}", default)
        if v is None:
            raise ValueError(f"{path}: missing metadata {a}.{k}")
        return v

    if "token_embd.weight" not in tensors:
        raise ValueError(f"{path}: no token_embd.weight tensor")
    cfg = dict(arch=a, name=kv.get("general.name", a), hidden_size=get("embedding_length"),
               num_hidden_layers=get("block_count"), intermediate_size=get("feed_forward_length"),
               num_attention_heads=get("attention.head_count"))
    cfg["num_key_value_heads"] = get("attention.head_count_kv", cfg["num_attention_heads"])
    cfg["head_dim"] = get("attention.key_length", cfg["hidden_size"] // cfg["num_attention_heads"])
    if get("attention.value_length", cfg["head_dim"]) != cfg["head_dim"]:
        raise ValueError(f"{path}: value_length != key_length is not supported")
    cfg["rms_norm_eps"] = float(get("attention.layer_norm_rms_epsilon", 1e-6 if gemma else 1e-5))
    cfg["rope_theta"] = float(get("rope.freq_base", 1e6 if gemma else 1e4))
    cfg["max_position_embeddings"] = get("context_length", 4096)
    cfg["vocab_size"] = tensors["token_embd.weight"][1][1]
    if get("rope.dimension_count", cfg["head_dim"]) != cfg["head_dim"]:
        raise ValueError(f"{path}: partial rotary embeddings (rope.dimension_count != head_dim) are not supported")
    scaling = get("rope.scaling.type", "none")
    if scaling == "linear":
        cfg["rope_linear"] = float(get("rope.scaling.factor"))
    elif scaling not in ("none", "llama3"):
        raise ValueError(f"{path}: rope scaling {scaling!r} is not supported")
    if f"{a}.attention.scale" in kv:
        cfg["query_pre_attn_scalar"] = float(kv[f"{a}.attention.scale"]) ** -2
    if gemma:
        cfg.setdefault("query_pre_attn_scalar", cfg["head_dim"])
        cfg["sliding_window"] = get("attention.sliding_window", 512)
        cfg["sliding_window_pattern"] = 6
        cfg["rope_local_base_freq"] = float(get("rope.freq_base_swa", 10000.0))
    if a == "llama" and "rope_freqs.weight" in tensors:
        cfg["rope_freq_factors"] = dequant(*tensors["rope_freqs.weight"]).astype(np.float64).tolist()
    cfg["tie"] = "output.weight" not in tensors
    return cfg


def weights_from_gguf(cfg, tensors, path="model"):
    """HF-named float64 tensors (the weights as the file holds them, dequantized, export.py inverted)."""
    gemma, perm = cfg["arch"] == "gemma3", cfg["arch"] == "llama"
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    W = {}

    def take(gname, hname, plus_one=False, heads=0, required=True):
        if gname not in tensors:
            if required:
                raise ValueError(f"{path}: missing tensor {gname}")
            return
        x = dequant(*tensors[gname]).astype(np.float64)
        if heads:
            x = unpermute_rows(x, heads)
        W[hname] = torch.from_numpy(x - 1.0 if plus_one else x)

    take("token_embd.weight", "model.embed_tokens.weight")
    take("output_norm.weight", "model.norm.weight", gemma)
    take("output.weight", "lm_head.weight", required=False)
    for i in range(cfg["num_hidden_layers"]):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        take(b + "attn_norm.weight", p + "input_layernorm.weight", gemma)
        for n, heads in (("q", nh), ("k", nkv), ("v", 0)):
            take(b + f"attn_{n}.weight", p + f"self_attn.{n}_proj.weight", heads=heads if perm else 0)
            take(b + f"attn_{n}.bias", p + f"self_attn.{n}_proj.bias", heads=heads if perm else 0, required=False)
        take(b + "attn_output.weight", p + "self_attn.o_proj.weight")
        if gemma:
            take(b + "attn_q_norm.weight", p + "self_attn.q_norm.weight", True)
            take(b + "attn_k_norm.weight", p + "self_attn.k_norm.weight", True)
            take(b + "post_attention_norm.weight", p + "post_attention_layernorm.weight", True)
            take(b + "ffn_norm.weight", p + "pre_feedforward_layernorm.weight", True)
            take(b + "post_ffw_norm.weight", p + "post_feedforward_layernorm.weight", True)
        else:
            take(b + "ffn_norm.weight", p + "post_attention_layernorm.weight")
        take(b + "ffn_gate.weight", p + "mlp.gate_proj.weight")
        take(b + "ffn_up.weight", p + "mlp.up_proj.weight")
        take(b + "ffn_down.weight", p + "mlp.down_proj.weight")
    if cfg["arch"] == "qwen2" and not any(k.endswith("q_proj.bias") for k in W):
        raise ValueError(f"{path}: a qwen2 model without attn_q.bias is not supported")
    return W


def extra_kv(kv, raw, arch):
    """The base's metadata entries the export must carry: tokenizer.* and what export.py does not write."""
    keep = [k for k in raw if k.startswith("tokenizer.")]
    keep += [k for k in (f"{arch}.attention.scale", f"{arch}.rope.freq_base_swa") if k in raw]
    return [(k, raw[k]) for k in keep]


def load_gguf(path):
    """-> (cfg, W, extra metadata entries [(key, raw bytes)])."""
    raw = {}
    kv, tensors = ggufw.read(path, raw)
    cfg = config_from_gguf(kv, tensors, path)
    if "tokenizer.ggml.tokens" not in kv:
        raise ValueError(f"{path}: the GGUF has no tokenizer (tokenizer.ggml.tokens)")
    return cfg, weights_from_gguf(cfg, tensors, path), extra_kv(kv, raw, cfg["arch"])


# ---------------------------------------------------------------- Hugging Face
HF_TYPES = {"llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "gemma3_text": "gemma3", "gemma3": "gemma3"}


def config_from_hf(conf, path="config.json"):
    mt = conf.get("model_type")
    if mt == "gemma3" and "text_config" in conf:
        conf = dict(conf["text_config"], model_type="gemma3_text")
    if mt not in HF_TYPES:
        raise ValueError(f"{path}: model_type {mt!r} is not supported (supported: {', '.join(HF_TYPES)})")
    a = HF_TYPES[mt]
    gemma = a == "gemma3"
    need = ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"]
    missing = [k for k in need if k not in conf]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}")
    cfg = {k: conf[k] for k in need}
    cfg.update(arch=a, name=conf.get("_name_or_path") or a)
    cfg["num_key_value_heads"] = conf.get("num_key_value_heads") or cfg["num_attention_heads"]
    cfg["head_dim"] = conf.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    cfg["rms_norm_eps"] = float(conf.get("rms_norm_eps", 1e-6 if gemma else 1e-5))
    cfg["rope_theta"] = float(conf.get("rope_theta", 1e6 if gemma else 1e4))
    cfg["max_position_embeddings"] = conf.get("max_position_embeddings", 4096)
    rs = conf.get("rope_scaling")
    if rs:
        kind = rs.get("rope_type", rs.get("type"))
        if kind == "llama3" and a == "llama":
            cfg["rope_scaling"] = dict(rs, rope_type="llama3")
        elif kind == "linear":
            cfg["rope_linear"] = float(rs["factor"])
        else:
            raise ValueError(f"{path}: rope_scaling {kind!r} is not supported (llama3 for llama, linear)")
    if conf.get("partial_rotary_factor", 1.0) != 1.0:
        raise ValueError(f"{path}: partial_rotary_factor is not supported")
    if gemma:
        cfg["query_pre_attn_scalar"] = conf.get("query_pre_attn_scalar", cfg["head_dim"])
        cfg["sliding_window"] = conf.get("sliding_window", 512)
        cfg["sliding_window_pattern"] = conf.get("sliding_window_pattern", 6)
        if cfg["sliding_window_pattern"] != 6:
            raise ValueError(f"{path}: sliding_window_pattern {cfg['sliding_window_pattern']} (the engine has 6)")
        cfg["rope_local_base_freq"] = float(conf.get("rope_local_base_freq", 10000.0))
    elif conf.get("query_pre_attn_scalar"):
        cfg["query_pre_attn_scalar"] = conf["query_pre_attn_scalar"]
    return cfg


def load_hf_weights(d):
    index = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = sorted(f for f in os.listdir(d) if f.endswith(".safetensors"))
    if not files:
        raise ValueError(f"{d}: no *.safetensors")
    W = {}
    for f in files:
        for k, v in safetensors.read(os.path.join(d, f)).items():
            k = k.replace("language_model.model.", "model.").replace("language_model.lm_head.", "lm_head.")
            if k.startswith(("model.", "lm_head.")) and not k.endswith("rotary_emb.inv_freq"):
                W[k] = torch.from_numpy(np.asarray(v, np.float64))
    return W


def tokenizer_kv_from_json(path, n_vocab):
    """GGUF tokenizer.* entries [(key, raw bytes)] from a Hugging Face tokenizer.json (see the module doc)."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    model = doc.get("model", {})
    if model.get("type") != "BPE":
        raise ValueError(f"{path}: tokenizer model {model.get('type')!r} is not supported (BPE only)")
    spm = bool(model.get("byte_fallback"))
    n = max([i + 1 for i in model["vocab"].values()] + [a["id"] + 1 for a in doc.get("added_tokens", [])])
    if n > n_vocab:
        raise ValueError(f"{path}: {n} tokens for a model vocabulary of {n_vocab}")
    tokens, types = [None] * n_vocab, [1] * n_vocab
    for piece, i in model["vocab"].items():
        tokens[i] = piece
        if spm and len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
            types[i] = 6
    for a in doc.get("added_tokens", []):
        tokens[a["id"]] = a["content"]
        types[a["id"]] = 3 if a.get("special") else 4
    for i, t in enumerate(tokens):
        if t is None:
            tokens[i], types[i] = f"<|sotto_unused_{i}|>", 5
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    ids = {t: i for i, t in enumerate(tokens)}
    pre = json.dumps(doc.get("pre_tokenizer"))  # the engine tells the families apart by the pattern
    if spm:
        pre_name = "default"
    elif "\\\\p{N}{1,3}" in pre:
        pre_name = "llama-bpe"
    elif "[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}|" in pre:
        pre_name = "qwen2"
    elif '"Digits"' in pre:
        pre_name = "smollm"
    else:
        pre_name = "gpt2"
    if spm:
        bos, eos = ids.get("<bos>", -1), ids.get("<eos>", -1)
    else:
        bos = ids.get("<|begin_of_text|>", -1)
        eos = ids.get("<|endoftext|>", ids.get("<|end_of_text|>", -1))
    g = ggufw.Writer()
    g.string("tokenizer.ggml.model", "llama" if spm else "gpt2")
    g.string("tokenizer.ggml.pre", pre_name)
    g.strings("tokenizer.ggml.tokens", tokens)
    g.i32s("tokenizer.ggml.token_type", types)
    if spm:
        g.f32s("tokenizer.ggml.scores", [0.0] * n_vocab)
    g.strings("tokenizer.ggml.merges", merges)
    if bos >= 0:
        g.u32("tokenizer.ggml.bos_token_id", bos)
    if eos >= 0:
        g.u32("tokenizer.ggml.eos_token_id", eos)
    unk = model.get("unk_token")
    if unk in ids:
        g.u32("tokenizer.ggml.unknown_token_id", ids[unk])
    g.boolean("tokenizer.ggml.add_bos_token", spm or "<|start_header_id|>" in ids)
    return g.kv


def load_hf(d):
    """-> (cfg, W, tokenizer metadata entries) from a Hugging Face model directory."""
    cpath = os.path.join(d, "config.json")
    if not os.path.exists(cpath):
        raise ValueError(f"{d}: no config.json")
    with open(cpath) as f:
        conf = json.load(f)
    cfg = config_from_hf(conf, cpath)
    W = load_hf_weights(d)
    tie = "lm_head.weight" not in W or (conf.get("tie_word_embeddings") and
                                         torch.equal(W["lm_head.weight"], W["model.embed_tokens.weight"]))
    if tie:
        W.pop("lm_head.weight", None)
    cfg["tie"] = tie
    if W["model.embed_tokens.weight"].shape[0] != cfg["vocab_size"]:
        raise ValueError(f"{d}: embedding rows {W['model.embed_tokens.weight'].shape[0]} != "
                         f"vocab_size {cfg['vocab_size']}")
    tpath = os.path.join(d, "tokenizer.json")
    if not os.path.exists(tpath):
        raise ValueError(f"{d}: no tokenizer.json (needed for the exported GGUF's vocabulary)")
    return cfg, W, tokenizer_kv_from_json(tpath, cfg["vocab_size"])


# ---------------------------------------------------------------- export
def export(cfg, W, extra, dtype, path):
    """Writes W (HF names) as GGUF through tools/ref/export.py with the base's metadata entries `extra` in place
    of export.py's placeholder vocabulary; returns the weights as stored (dequantized, float64)."""
    extra = list(extra)
    have = {k for k, _ in extra}
    a, w = cfg["arch"], ggufw.Writer()
    if cfg.get("query_pre_attn_scalar", cfg["head_dim"]) != cfg["head_dim"] and f"{a}.attention.scale" not in have:
        w.f32(f"{a}.attention.scale", cfg["query_pre_attn_scalar"] ** -0.5)  # from an HF config
    if cfg.get("rope_local_base_freq", 10000.0) != 10000.0 and f"{a}.rope.freq_base_swa" not in have:
        w.f32(f"{a}.rope.freq_base_swa", cfg["rope_local_base_freq"])
    extra += w.kv
    placeholder = gguf_export.add_tokenizer
    gguf_export.add_tokenizer = lambda g, c: g.kv.extend(extra)
    try:
        return gguf_export.export(dict(cfg, tie="lm_head.weight" not in W), W, dtype, path)
    finally:
        gguf_export.add_tokenizer = placeholder


# ---------------------------------------------------------------- tokenization through the engine
class EngineTokenizer:
    """The base's vocabulary, applied by `sotto tokenize` on a metadata-only GGUF holding its tokenizer.* keys."""

    def __init__(self, sotto, extra):
        self.sotto = sotto
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "tokenizer.gguf")
        g = ggufw.Writer()
        g.kv.extend(e for e in extra if e[0].startswith("tokenizer."))
        g.write(self.path)
        info = json.loads(self._run(["--info"], ""))
        self.n_vocab, self.bos, self.eos = info["n_vocab"], info["bos"], info["eos"]
        self.chat, self.eot = info["chat"], info["eot"]
        self.eog = set(info["eog"])
        kv, _ = ggufw.read(self.path)
        self.pieces, self.types = kv["tokenizer.ggml.tokens"], kv.get("tokenizer.ggml.token_type")
        self.byte_level = kv["tokenizer.ggml.model"] == "gpt2"

    def _run(self, args, stdin):
        r = subprocess.run([self.sotto, "tokenize", "-m", self.path] + args, input=stdin.encode("utf-8"),
                           capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"sotto tokenize: {r.stderr.decode(errors='replace').strip()}")
        return r.stdout.decode()

    def encode_many(self, texts, chat=False, bos=True, special=True):
        args = ["--jsonl"] + (["--chat"] if chat else []) + ([] if bos or chat else ["--no-bos"])
        args += [] if special or chat else ["--no-special"]
        out = self._run(args, "".join(json.dumps(t) + "\n" for t in texts)).splitlines()
        if len(out) != len(texts):
            raise RuntimeError(f"sotto tokenize: {len(out)} results for {len(texts)} texts")
        return [json.loads(x) for x in out]

    def decode_bytes(self, ids):
        """The bytes the engine prints for these tokens (control tokens print nothing)."""
        unbyte = {c: b for b, c in gguf_export.gpt2_byte_map().items()}
        out = b""
        for i in ids:
            p, t = self.pieces[i], (self.types[i] if self.types else 1)
            if t in (2, 3, 5):
                continue
            if self.byte_level:
                out += bytes(unbyte[c] for c in p) if t != 4 else p.encode()
            elif t == 6:
                out += bytes([int(p[3:5], 16)])
            else:
                out += p.replace("\u2581", " ").encode()
        return out
