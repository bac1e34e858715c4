"""make_hf_fixtures.py — tiny random Hugging Face checkpoint folders, one per supported decoder family, and what the
Python converter (tools/train/base.py: load_hf + export) makes of them, for tests/test-convert.cpp (`sotto convert`,
src/convert/).

Each folder tests/fixtures/hf-NAME/ is laid out as the hub has it: config.json, model.safetensors (or
model-0000K-of-0000N.safetensors + model.safetensors.index.json), tokenizer.json, tokenizer_config.json,
generation_config.json. Differences between them exercise the converter's paths:
  llama    Llama 3.2 shape: llama3 RoPE scaling, BF16 tensors in 2 shards + index, an lm_head.weight equal to the
           embedding with tie_word_embeddings (dropped: tied), byte-level BPE with the Llama 3 split pattern,
           merges as strings, 3 unused ids (vocab_size above the tokenizer's), ffn_down rows of 256 (Q4_K).
  smollm2  SmolLM2: llama, one KV head, tied (no lm_head), a "Digits" pre-tokenizer (smollm), BF16.
  qwen2    Qwen2.5: QKV biases, an untied lm_head, F16 tensors, Qwen2's split pattern, merges as pairs.
  qwen3    Qwen3: per-head q/k RMSNorm, no biases, head_dim (32) != hidden / heads (16), tied, BF16.
  gemma3   Gemma 3 text (model_type gemma3 with a text_config): QK-norm, (1 + w) norms, query_pre_attn_scalar !=
           head_dim, rope_local_base_freq 20000 (freq_base_swa), a byte-fallback (SentencePiece-style) vocabulary
           with a non-special added token, F32 tensors, an extra vision tensor the converter must skip.
Python's outputs NAME-T.gguf for T in TYPES[NAME] are not committed (1.5 MB): tests/fixtures/hf-converted/SHA256SUMS
holds their SHA-256 (`sha256sum -c` format; --keep DIR keeps the files); NAME.ref.gguf holds 8 seeded token ids
and the reference logits (tools/ref/arch.py, float64) of the checkpoint's own weights, the F32 file's.

Usage: cd tools/ref && /usr/bin/python3 make_hf_fixtures.py [fixtures_dir] [--keep DIR]   (default tests/fixtures)
       /usr/bin/python3 make_hf_fixtures.py --real NAME OUT_DIR   one folder at a real shape (make_real.REAL: NAME
       smollm2-135m, qwen25-0.5b, llama32-1b, gemma3-270m), BF16, the family's fixture tokenizer (ids past it unused),
       for timing `sotto convert` against the Python converter (docs/models.md)
"""
import hashlib
import json
import os
import sys
import tempfile

import numpy as np
import torch

import arch as ref
import make_fixtures as mf
import safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "train"))
import base as B  # noqa: E402

LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                r"\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")

SMALL = dict(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
             rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=256)
MODELS = {
    "llama": dict(SMALL, arch="llama", model_type="llama", intermediate_size=256, num_hidden_layers=1,
                  vocab_size=268, tie=True, rope_theta=500000.0,
                  rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                    original_max_position_embeddings=64)),
    "smollm2": dict(SMALL, arch="llama", model_type="llama", num_hidden_layers=1, num_key_value_heads=1,
                    vocab_size=262, tie=True, rope_theta=100000.0),
    "qwen2": dict(SMALL, arch="qwen2", model_type="qwen2", num_hidden_layers=1, intermediate_size=64, vocab_size=263, tie=False,
                  bias=True, rope_theta=1000000.0, rms_norm_eps=1e-6),
    "gemma3": dict(SMALL, arch="gemma3", model_type="gemma3", num_hidden_layers=2, num_attention_heads=2,
                   intermediate_size=64, num_key_value_heads=1, head_dim=32, query_pre_attn_scalar=24, vocab_size=274, tie=True,
                   rope_theta=1000000.0, rope_local_base_freq=20000.0, sliding_window=4, sliding_window_pattern=6,
                   rms_norm_eps=1e-6),
    "qwen3": dict(SMALL, arch="qwen3", model_type="qwen3", num_hidden_layers=1, intermediate_size=64,
                  head_dim=32, vocab_size=263, tie=True, rope_theta=1000000.0, rms_norm_eps=1e-6),
}
# The Python converter's files that `sotto convert` must reproduce byte for byte. Quantized blocks agree with
# NumPy's (tools/ref/quants.py) except where a value falls exactly on a rounding boundary: Q8_0 ties (NumPy rounds
# them to even, core/quant.cpp away from zero as ggml does) and Q4_0 products that a fused multiply-add rounds
# once; the BF16 llama checkpoint has such values, the F16 / F32 ones here have none. Q4_K: Python stops at rows
# of 64 (not a multiple of 256).
TYPES = {"llama": ["f32"], "smollm2": ["f32", "bf16"], "qwen2": ["f32", "f16", "q4_0"], "qwen3": ["f32", "f16"],
         "gemma3": ["f32", "bf16", "q4_0"]}
SEQ = 8


def byte_level_vocab(specials, merges):
    byte_tok = B.gguf_export.gpt2_byte_map()
    vocab = {byte_tok[b]: b for b in range(256)}
    for a, b in merges:
        vocab[a + b] = len(vocab)
    added = [{"id": len(vocab) + i, "content": s, "special": True, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False} for i, s in enumerate(specials)]
    return vocab, added


def tokenizer(name):
    if name == "gemma3":
        specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
        vocab = {s: i for i, s in enumerate(specials)}
        for b in range(256):
            vocab["<0x%02X>" % b] = len(vocab)
        merges = [("\u2581", "t"), ("h", "e"), ("\u2581t", "he"), ("\u2581", "a")]
        for a, b in merges:
            for p in (a, b):
                vocab.setdefault(p, len(vocab))
            vocab[a + b] = len(vocab)
        added = [{"id": i, "content": s, "special": True} for i, s in enumerate(specials)]
        added.append({"id": len(vocab), "content": "<mask>", "special": False})
        doc = {"version": "1.0", "added_tokens": added, "normalizer": {"type": "Replace", "pattern": {"String": " "},
                                                                        "content": "\u2581"},
               "pre_tokenizer": None,
               "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "byte_fallback": True,
                         "vocab": vocab, "merges": [a + " " + b for a, b in merges]}}
        return doc, {"bos_token": "<bos>", "eos_token": "<eos>"}
    if name in ("qwen2", "qwen3"):
        specials, split = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], QWEN2_SPLIT
        merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n")]
    elif name == "llama":
        specials, split = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                           "<|eot_id|>"], LLAMA3_SPLIT
        merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n")]
    else:
        specials, split = ["<|endoftext|>", "<|im_start|>"], None
        merges = [("Ġ", "a")]
    vocab, added = byte_level_vocab(specials, merges)
    pre = [{"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": split is None}]
    if split:
        pre.insert(0, {"type": "Split", "pattern": {"Regex": split}, "behavior": "Isolated", "invert": False})
        pre[-1]["use_regex"] = False
    else:
        pre.insert(0, {"type": "Digits", "individual_digits": True})
    doc = {"version": "1.0", "added_tokens": added, "normalizer": None,
           "pre_tokenizer": {"type": "Sequence", "pretokenizers": pre},
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "byte_fallback": False, "vocab": vocab,
                     "merges": [list(m) for m in merges] if name == "qwen2" else [a + " " + b for a, b in merges]}}
    return doc, {"bos_token": specials[0], "eos_token": specials[1] if name != "qwen2" else specials[0]}


def config_json(name, cfg):
    keys = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
            "head_dim", "rms_norm_eps", "rope_theta", "vocab_size", "max_position_embeddings", "rope_scaling",
            "query_pre_attn_scalar", "sliding_window", "sliding_window_pattern", "rope_local_base_freq")
    c = {k: cfg[k] for k in keys if k in cfg}
    c.update(model_type=cfg["model_type"] if name != "gemma3" else "gemma3_text", tie_word_embeddings=cfg["tie"],
             _name_or_path=f"sotto-test/tiny-{name}", torch_dtype="bfloat16", architectures=["X"])
    if name == "qwen2":
        c["use_sliding_window"] = False
    if name == "gemma3":
        return {"model_type": "gemma3", "architectures": ["Gemma3ForConditionalGeneration"], "text_config": c,
                "vision_config": {"hidden_size": 16}, "tie_word_embeddings": True}
    return c


def write_checkpoint(d, name, cfg, W, all_bf16=False):
    os.makedirs(d, exist_ok=True)
    T = {k: v.float().numpy() for k, v in W.items()}
    if name == "llama":  # an lm_head equal to the embedding, tied by the config
        T["lm_head.weight"] = T["model.embed_tokens.weight"].copy()
    if name == "gemma3":  # a multimodal checkpoint's names
        T = {k.replace("model.", "language_model.model.", 1): v for k, v in T.items()}
        T["vision_tower.vision_model.embeddings.patch_embedding.weight"] = np.ones((4, 3), np.float32)
    if name == "qwen2" and not all_bf16:
        T = {k: v.astype(np.float16) for k, v in T.items()}
    bf16 = set(T) if all_bf16 or name in ("llama", "smollm2", "qwen3") else set()
    for f in os.listdir(d):
        if f.endswith(".safetensors") or f.endswith(".index.json"):
            os.remove(os.path.join(d, f))
    if name == "llama":
        names = sorted(T)
        shards = [names[: len(names) // 2], names[len(names) // 2:]]
        wm = {}
        for i, part in enumerate(shards):
            fn = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
            safetensors.write(os.path.join(d, fn), {k: T[k] for k in part}, bf16=bf16)
            wm.update({k: fn for k in part})
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": 0}, "weight_map": wm}, f, indent=2)
    else:
        safetensors.write(os.path.join(d, "model.safetensors"), T, bf16=bf16)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config_json(name, cfg), f, indent=2)
    doc, special = tokenizer(name)
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=2)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump(dict(special, model_max_length=cfg["max_position_embeddings"], chat_template=None), f, indent=2)
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump({"do_sample": False, "max_new_tokens": 8}, f, indent=2)


def random_weights(cfg, seed):
    W = mf.random_weights(cfg, seed)
    if cfg["arch"] == "qwen3":  # per-head q/k RMSNorm weights (make_fixtures' generator has Gemma's only)
        g = torch.Generator().manual_seed(seed + 1)
        for i in range(cfg["num_hidden_layers"]):
            for n in ("q_norm", "k_norm"):
                W[f"model.layers.{i}.self_attn.{n}.weight"] = 1.0 + 0.1 * torch.randn(cfg["head_dim"], generator=g,
                                                                                       dtype=torch.float64)
    return W


def write_speech(root):
    """hf-asr/hf (Moonshine) and hf-asr/whf (Whisper): the checkpoints tools/ref/make_asr_hf_fixture.py writes to a
    scratch folder (same seeds, same files, same folder names: the converter names the model after its folder), kept
    so that `sotto convert` of them can be compared with tests/fixtures/asr/{moonshine,whisper}-hf.gguf, the output of
    tools/ref/convert_asr.py that test-asr-parity checks against the PyTorch reference."""
    import make_asr_fixtures as fx
    import make_asr_hf_fixture as hfx
    import moonshine_ref
    import whisper_ref
    cfg = dict(fx.SHRUNK, tie_word_embeddings=False, decoder_num_attention_heads=3, rope_theta=5000.0)
    arrays = {k: v.numpy().astype(np.float32) for k, v in moonshine_ref.random_weights(cfg, 3000).items()}
    bf16 = {k for k in arrays if "decoder.layers.1." in k or "conv2" in k}
    hf = os.path.join(root, "hf-asr", "hf")
    os.makedirs(hf, exist_ok=True)
    conf = dict(cfg, model_type="moonshine", bos_token_id=1, eos_token_id=2, decoder_start_token_id=1,
                encoder_hidden_act="gelu", decoder_hidden_act="silu", max_position_embeddings=512)
    json.dump(conf, open(os.path.join(hf, "config.json"), "w"))
    safetensors.write(os.path.join(hf, "model.safetensors"), arrays, bf16=bf16)
    json.dump(hfx.tokenizer_json(fx.spm_vocab()), open(os.path.join(hf, "tokenizer.json"), "w"))
    wcfg = dict(fx.WHISPER, decoder_attention_heads=2)
    warr = {k: v.numpy().astype(np.float32) for k, v in whisper_ref.random_weights(wcfg, 3100).items()}
    wbf16 = {k for k in warr if "decoder.layers.0." in k}
    whf = os.path.join(root, "hf-asr", "whf")
    os.makedirs(whf, exist_ok=True)
    voc = fx.byte_level_vocab()
    n_plain = len(voc["tokens"]) - len(fx.WHISPER_SPECIALS)
    json.dump(dict(wcfg, model_type="whisper", decoder_start_token_id=voc["bos"], eos_token_id=voc["eos"]),
              open(os.path.join(whf, "config.json"), "w"))
    safetensors.write(os.path.join(whf, "model.safetensors"), warr, bf16=wbf16)
    tj = {"model": {"type": "BPE", "vocab": {t: i for i, t in enumerate(voc["tokens"][:n_plain])},
                    "merges": voc["merges"]},
          "added_tokens": [{"id": n_plain + i, "content": t, "special": True} for i, t in enumerate(fx.WHISPER_SPECIALS)]}
    json.dump(tj, open(os.path.join(whf, "tokenizer.json"), "w"))
    return {"moonshine": hf, "whisper": whf}


def write_real(name, d):
    import make_real
    cfg = dict(make_real.REAL[name])
    fam = {"smollm2-135m": "smollm2", "qwen25-0.5b": "qwen2", "llama32-1b": "llama", "gemma3-270m": "gemma3"}[name]
    cfg.update(model_type=MODELS[fam]["model_type"], tie=cfg.get("tie", True))
    W = random_weights(cfg, 4000)
    W = {k: v.float() for k, v in W.items()}  # float32 halves the memory; BF16 on disk either way
    write_checkpoint(d, fam, cfg, W, all_bf16=True)


def main():
    args = sys.argv[1:]
    if args[:1] == ["--real"]:
        write_real(args[1], args[2])
        return
    keep = None
    if "--keep" in args:
        keep = args[args.index("--keep") + 1]
        del args[args.index("--keep"):args.index("--keep") + 2]
    root = args[0] if args else os.path.join(HERE, "..", "..", "tests", "fixtures")
    conv = os.path.join(root, "hf-converted")
    os.makedirs(conv, exist_ok=True)
    tmp = tempfile.TemporaryDirectory()
    out = keep or tmp.name
    os.makedirs(out, exist_ok=True)
    sums = []
    for k, (name, cfg) in enumerate(MODELS.items()):
        d = os.path.join(root, "hf-" + name)
        write_checkpoint(d, name, cfg, random_weights(cfg, 3000 + k))
        c, W, tok = B.load_hf(d)  # the Python converter, as tools/train/train.py --base-hf runs it
        tokens = np.random.RandomState(50 + k).randint(0, cfg["vocab_size"], size=SEQ).tolist()
        for t in TYPES[name]:
            path = os.path.join(out, f"{name}-{t}.gguf")
            stored = B.export(c, W, tok, t, path)
            with open(path, "rb") as f:
                sums.append(f"{hashlib.sha256(f.read()).hexdigest()}  {name}-{t}.gguf\n")
            if t == "f32":
                with torch.no_grad():
                    logits = ref.forward(c, stored, tokens)
                mf.write_ref(os.path.join(conv, f"{name}.ref.gguf"), tokens, logits)
                print(f"{name}: logits std {logits.std().item():.3f}")
    import subprocess
    for name, d in write_speech(root).items():  # tools/ref/convert_asr.py, the speech models' Python converter
        for t in ("f32", "f16"):
            path = os.path.join(out, f"{name}-{t}.gguf")
            subprocess.run([sys.executable, os.path.join(HERE, "convert_asr.py"), d, path, "--type", t], check=True,
                           capture_output=True)
            with open(path, "rb") as f:
                sums.append(f"{hashlib.sha256(f.read()).hexdigest()}  {name}-{t}.gguf\n")
    with open(os.path.join(conv, "SHA256SUMS"), "w") as f:
        f.writelines(sums)


if __name__ == "__main__":
    main()
