"""convert_asr.py — converts a Hugging Face Moonshine or Whisper checkpoint (config.json, model.safetensors or a sharded
model.safetensors.index.json, tokenizer.json) to the GGUF layout of docs/asr.md. No transformers or safetensors
package needed (tools/ref/safetensors.py reads the weights).

Usage: /usr/bin/python3 tools/ref/convert_asr.py HF_DIR OUT.gguf [--type f16|f32]   (default f16)
Matrices and convolution kernels are stored in --type; norms and biases in f32.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

import asr_gguf
import safetensors

CFG_KEYS = ["hidden_size", "intermediate_size", "encoder_num_hidden_layers", "decoder_num_hidden_layers",
            "encoder_num_attention_heads", "decoder_num_attention_heads", "vocab_size"]


def load_weights(d):
    single = os.path.join(d, "model.safetensors")
    if os.path.exists(single):
        return safetensors.read(single)
    index = os.path.join(d, "model.safetensors.index.json")
    if not os.path.exists(index):
        raise SystemExit(f"{d}: no model.safetensors or model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values()))
    W = {}
    for f in files:
        W.update(safetensors.read(os.path.join(d, f)))
    return W


def load_tokenizer(path, n_vocab):
    """tokenizer.json (BPE with byte fallback) -> tokens in id order, token types, scores, merges, special ids."""
    doc = json.load(open(path, encoding="utf-8"))
    model = doc["model"]
    if model.get("type") != "BPE":
        raise SystemExit(f"{path}: tokenizer model type {model.get('type')!r} is not BPE")
    tokens = [None] * n_vocab
    for piece, i in model["vocab"].items():
        if i < n_vocab:
            tokens[i] = piece
    special = set()
    for a in doc.get("added_tokens", []):
        if a["id"] < n_vocab:
            tokens[a["id"]] = a["content"]
            if a.get("special"):
                special.add(a["id"])
    unk_piece = model.get("unk_token")
    types = []
    for i, t in enumerate(tokens):
        if t is None:
            tokens[i] = f"<unused{i}>"
            types.append(5)
        elif t == unk_piece:
            types.append(2)
        elif i in special:
            types.append(3)
        elif len(t) == 6 and t.startswith("<0x") and t.endswith(">"):
            types.append(6)
        else:
            types.append(1)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    ids = {t: i for i, t in enumerate(tokens)}
    return dict(tokens=tokens, types=types, scores=[-float(i) for i in range(n_vocab)], merges=merges,
                unk=ids.get(unk_piece, 0))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("hf_dir")
    ap.add_argument("out")
    ap.add_argument("--type", choices=["f16", "f32"], default="f16")
    a = ap.parse_args(argv)
    conf = json.load(open(os.path.join(a.hf_dir, "config.json")))
    if conf.get("model_type") == "whisper":
        return convert_whisper(a, conf)
    if conf.get("model_type") != "moonshine":
        raise SystemExit(f"{a.hf_dir}: model_type {conf.get('model_type')!r} is not supported (moonshine, whisper)")
    for k in CFG_KEYS:
        if k not in conf:
            raise SystemExit(f"{a.hf_dir}/config.json: missing {k}")
    cfg = {k: conf[k] for k in CFG_KEYS}
    cfg["partial_rotary_factor"] = conf.get("partial_rotary_factor", 0.9)
    cfg["rope_theta"] = conf.get("rope_theta", 10000.0)
    cfg["max_position_embeddings"] = conf.get("max_position_embeddings", 512)
    cfg["decoder_start_token_id"] = conf.get("decoder_start_token_id", 1)
    cfg["name"] = conf.get("_name_or_path", os.path.basename(os.path.normpath(a.hf_dir))) or "moonshine"
    for k in ("encoder_num_key_value_heads", "decoder_num_key_value_heads"):
        part = k.split("_")[0]
        if conf.get(k) not in (None, conf[f"{part}_num_attention_heads"]):
            raise SystemExit(f"{a.hf_dir}: grouped-query attention ({k}) is not supported yet")
    if conf.get("attention_bias"):
        raise SystemExit(f"{a.hf_dir}: attention_bias is not supported")
    if conf.get("rope_scaling"):
        raise SystemExit(f"{a.hf_dir}: rope_scaling is not supported")
    W = {k: torch.from_numpy(np.asarray(v, np.float64)) for k, v in load_weights(a.hf_dir).items()}
    cfg["tie_word_embeddings"] = conf.get("tie_word_embeddings", True) or "proj_out.weight" not in W
    tok = load_tokenizer(os.path.join(a.hf_dir, "tokenizer.json"), cfg["vocab_size"])
    tok["bos"] = conf.get("bos_token_id", 1)
    tok["eos"] = conf.get("eos_token_id", 2)
    missing = [n for n in expected_names(cfg) if n not in W]
    if missing:
        raise SystemExit(f"{a.hf_dir}: missing tensors {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    asr_gguf.export_moonshine(cfg, W, tok, a.out, a.type)
    print(f"{a.out}: moonshine, hidden {cfg['hidden_size']}, {cfg['encoder_num_hidden_layers']} + "
          f"{cfg['decoder_num_hidden_layers']} layers, vocab {cfg['vocab_size']}, {a.type}")


WHISPER_KEYS = ["d_model", "encoder_layers", "decoder_layers", "encoder_attention_heads", "decoder_attention_heads",
                "encoder_ffn_dim", "decoder_ffn_dim", "num_mel_bins", "max_source_positions", "max_target_positions",
                "vocab_size"]


def convert_whisper(a, conf):
    for k in WHISPER_KEYS:
        if k not in conf:
            raise SystemExit(f"{a.hf_dir}/config.json: missing {k}")
    cfg = {k: conf[k] for k in WHISPER_KEYS}
    cfg["name"] = conf.get("_name_or_path", os.path.basename(os.path.normpath(a.hf_dir))) or "whisper"
    W = {k: torch.from_numpy(np.asarray(v, np.float64)) for k, v in load_weights(a.hf_dir).items()}
    need = ["model.encoder.conv1.weight", "model.encoder.embed_positions.weight", "model.decoder.embed_tokens.weight",
            "model.decoder.embed_positions.weight", "model.encoder.layer_norm.weight", "model.decoder.layer_norm.bias"]
    need += [f"model.encoder.layers.{i}.fc1.weight" for i in range(cfg["encoder_layers"])]
    need += [f"model.decoder.layers.{i}.encoder_attn.q_proj.weight" for i in range(cfg["decoder_layers"])]
    missing = [n for n in need if n not in W]
    if missing:
        raise SystemExit(f"{a.hf_dir}: missing tensors {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    tok = load_tokenizer(os.path.join(a.hf_dir, "tokenizer.json"), cfg["vocab_size"])
    ids = {t: i for i, t in enumerate(tok["tokens"])}
    tok["eos"] = conf.get("eos_token_id", ids.get("<|endoftext|>", 0))
    tok["bos"] = conf.get("decoder_start_token_id", ids.get("<|startoftranscript|>", 0))
    cfg["decoder_start_token_id"] = tok["bos"]
    asr_gguf.export_whisper(cfg, W, tok, a.out, a.type)
    print(f"{a.out}: whisper, d_model {cfg['d_model']}, {cfg['encoder_layers']} + {cfg['decoder_layers']} layers, "
          f"vocab {cfg['vocab_size']}, {a.type}")


def expected_names(cfg):
    n = ["model.encoder.conv1.weight", "model.encoder.conv2.weight", "model.encoder.conv3.weight",
         "model.encoder.groupnorm.weight", "model.decoder.embed_tokens.weight", "model.decoder.norm.weight",
         "model.encoder.layer_norm.weight"]
    for i in range(cfg["encoder_num_hidden_layers"]):
        n.append(f"model.encoder.layers.{i}.mlp.fc1.weight")
    for i in range(cfg["decoder_num_hidden_layers"]):
        n.append(f"model.decoder.layers.{i}.encoder_attn.q_proj.weight")
    return n


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ValueError, KeyError, OSError, json.JSONDecodeError) as e:  # one line, not a traceback
        sys.exit(f"convert_asr: {type(e).__name__}: {e}")
