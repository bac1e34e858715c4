"""export.py — writes a decoder given as a Hugging Face-named weight dict to GGUF with the conventions of
existing GGUF files (llama.cpp's converter), and returns the dict of weights as the file holds them
(dequantized), so a reference run on those weights is exactly what the engine should compute.

Conventions reproduced:
  - names: token_embd, output_norm, output, blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm,
    ffn_gate, ffn_up, ffn_down}; Qwen2 biases attn_{q,k,v}.bias; Gemma 3 attn_q_norm, attn_k_norm,
    post_attention_norm, ffn_norm (= pre_feedforward_layernorm), post_ffw_norm;
  - arch "llama": the rows of Q and K are permuted per head so that RoPE on adjacent pairs equals Hugging
    Face's rotate_half RoPE; Llama 3 scaling is the rope_freqs.weight tensor of frequency divisors;
  - Gemma norms are stored as (1 + w);
  - norms, biases and rope_freqs stay F32; matrices (and the embedding) take the requested type.
"""
import numpy as np
import torch

import arch as ref
import ggufw
import quants

DT = {"f32": ggufw.T_F32, "f16": ggufw.T_F16, "bf16": ggufw.T_BF16, "q8_0": ggufw.T_Q8_0,
      "q4_0": ggufw.T_Q4_0, "q4_k": ggufw.T_Q4_K}


def permute_rows(w, n_head):
    """Per head, interleave the first and second halves of the rows: [a0..a(h-1), b0..] -> [a0, b0, a1, b1..]."""
    rows, cols = w.shape
    hd = rows // n_head
    return w.reshape(n_head, 2, hd // 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def gpt2_byte_map():
    """GPT-2's reversible byte -> printable unicode character mapping (byte-level BPE vocabularies)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def add_tokenizer(g, cfg):
    """A small vocabulary so the fixture loads with a tokenizer: byte-level BPE (GPT-2 byte mapping, no merges)
    for llama/qwen2/smollm2 families; SentencePiece-style byte pieces for Gemma 3."""
    n_vocab = cfg["vocab_size"]
    if cfg["arch"] == "gemma3":
        toks = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
        toks += ["<0x%02X>" % b for b in range(256)]
        types = [3, 3, 3, 2, 3, 3] + [6] * 256
        g.string("tokenizer.ggml.model", "llama")
        g.string("tokenizer.ggml.pre", "default")
        g.u32("tokenizer.ggml.bos_token_id", 2)
        g.u32("tokenizer.ggml.eos_token_id", 1)
        g.f32s("tokenizer.ggml.scores", [0.0] * len(toks))
    else:
        byte_tok = gpt2_byte_map()
        toks = [byte_tok[b] for b in range(256)]
        specials = {"llama": ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                              "<|eot_id|>", "<|reserved_0|>", "<|reserved_1|>", "<|reserved_2|>"],
                    "qwen2": ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|r0|>", "<|r1|>", "<|r2|>",
                              "<|r3|>", "<|r4|>"]}
        fam = "qwen2" if cfg["arch"] in ("qwen2", "qwen3") or cfg.get("family") == "smollm2" else "llama"
        own = cfg.get("specials")  # a model's own control tokens (e.g. SmolVLM's <image>); bos/eos by name
        toks += own or specials[fam]
        types = [1] * 256 + [3] * (len(toks) - 256)
        g.string("tokenizer.ggml.model", "gpt2")
        g.string("tokenizer.ggml.pre", {"llama": "llama-bpe", "qwen2": "qwen2"}[fam] if cfg.get("family") != "smollm2" else "smollm")
        g.strings("tokenizer.ggml.merges", [])
        g.u32("tokenizer.ggml.bos_token_id", toks.index(cfg["bos"]) if own else 256)
        g.u32("tokenizer.ggml.eos_token_id", toks.index(cfg["eos"]) if own else 256 + (4 if fam == "llama" else 2))
    assert len(toks) == n_vocab, (len(toks), n_vocab)
    g.strings("tokenizer.ggml.tokens", toks)
    g.i32s("tokenizer.ggml.token_type", types)


def export(cfg, W, dtype, path):
    """W: dict of float64 torch tensors (HF names). Returns the weights as stored (dequantized, HF layout)."""
    a = cfg["arch"]
    gemma = a == "gemma3"
    g = ggufw.Writer()
    g.string("general.architecture", a)
    g.string("general.name", cfg.get("name", a))
    g.u32(f"{a}.context_length", cfg.get("max_position_embeddings", 2048))
    g.u32(f"{a}.embedding_length", cfg["hidden_size"])
    g.u32(f"{a}.block_count", cfg["num_hidden_layers"])
    g.u32(f"{a}.feed_forward_length", cfg["intermediate_size"])
    g.u32(f"{a}.attention.head_count", cfg["num_attention_heads"])
    g.u32(f"{a}.attention.head_count_kv", cfg["num_key_value_heads"])
    g.u32(f"{a}.attention.key_length", cfg["head_dim"])
    g.u32(f"{a}.attention.value_length", cfg["head_dim"])
    g.f32(f"{a}.attention.layer_norm_rms_epsilon", cfg["rms_norm_eps"])
    g.f32(f"{a}.rope.freq_base", cfg["rope_theta"])
    g.u32(f"{a}.rope.dimension_count", cfg["head_dim"])
    g.u32(f"{a}.vocab_size", cfg["vocab_size"])
    if gemma:
        g.u32(f"{a}.attention.sliding_window", cfg["sliding_window"])
    if cfg.get("rope_linear"):
        g.string(f"{a}.rope.scaling.type", "linear")
        g.f32(f"{a}.rope.scaling.factor", cfg["rope_linear"])
    if cfg.get("pooling_type"):  # an embedding model (llama.cpp's values: 1 mean, 2 cls, 3 last)
        g.u32(f"{a}.pooling_type", cfg["pooling_type"])
    if not cfg.get("no_tokenizer"):
        add_tokenizer(g, cfg)
        if cfg.get("add_eos"):
            g.boolean("tokenizer.ggml.add_eos_token", True)

    stored = {}
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]

    def mat(gname, hname, permute_heads=0):
        w = W[hname].float().numpy()
        raw_w = permute_rows(w, permute_heads) if permute_heads else w
        raw, _ = quants.encode(raw_w, dtype)
        _, dq = quants.encode(w, dtype)  # row-wise formats: quantizing permuted rows = permuting quantized rows
        g.tensor(gname, DT[dtype], [w.shape[1], w.shape[0]], raw)
        stored[hname] = torch.from_numpy(dq.astype(np.float64))

    def vec(gname, hname, plus_one=False):
        w = W[hname].float().numpy()
        g.tensor(gname, ggufw.T_F32, [w.shape[0]], (w + 1.0 if plus_one else w).astype(np.float32).tobytes())
        stored[hname] = torch.from_numpy(w.astype(np.float64))

    mat("token_embd.weight", "model.embed_tokens.weight")
    vec("output_norm.weight", "model.norm.weight", gemma)
    if "lm_head.weight" in W:
        mat("output.weight", "lm_head.weight")
    if cfg.get("rope_freq_factors") is not None:  # read from a GGUF (tools/train/base.py): written back as is
        f = np.asarray(cfg["rope_freq_factors"], np.float32)
        g.tensor("rope_freqs.weight", ggufw.T_F32, [f.shape[0]], f.tobytes())
    elif cfg.get("rope_scaling"):
        f = ref.llama3_rope_factors(cfg).numpy().astype(np.float32)
        g.tensor("rope_freqs.weight", ggufw.T_F32, [f.shape[0]], f.tobytes())
    perm = a == "llama"
    for i in range(cfg["num_hidden_layers"]):
        p, b = f"model.layers.{i}.", f"blk.{i}."
        vec(b + "attn_norm.weight", p + "input_layernorm.weight", gemma)
        mat(b + "attn_q.weight", p + "self_attn.q_proj.weight", nh if perm else 0)
        mat(b + "attn_k.weight", p + "self_attn.k_proj.weight", nkv if perm else 0)
        mat(b + "attn_v.weight", p + "self_attn.v_proj.weight")
        mat(b + "attn_output.weight", p + "self_attn.o_proj.weight")
        for n in "qkv":
            if p + f"self_attn.{n}_proj.bias" in W:
                vec(b + f"attn_{n}.bias", p + f"self_attn.{n}_proj.bias")
        if gemma:
            vec(b + "attn_q_norm.weight", p + "self_attn.q_norm.weight", True)
            vec(b + "attn_k_norm.weight", p + "self_attn.k_norm.weight", True)
            vec(b + "post_attention_norm.weight", p + "post_attention_layernorm.weight", True)
            vec(b + "ffn_norm.weight", p + "pre_feedforward_layernorm.weight", True)
            vec(b + "post_ffw_norm.weight", p + "post_feedforward_layernorm.weight", True)
        else:
            if a == "qwen3":
                vec(b + "attn_q_norm.weight", p + "self_attn.q_norm.weight")
                vec(b + "attn_k_norm.weight", p + "self_attn.k_norm.weight")
            vec(b + "ffn_norm.weight", p + "post_attention_layernorm.weight")
        mat(b + "ffn_gate.weight", p + "mlp.gate_proj.weight")
        mat(b + "ffn_up.weight", p + "mlp.up_proj.weight")
        mat(b + "ffn_down.weight", p + "mlp.down_proj.weight")
    g.write(path)
    return stored
