"""asr_gguf.py — writes speech models (Moonshine) given as Hugging Face-named float64 tensors to GGUF, in the layout the
C++ loader (src/models/moonshine.cpp) reads; tensor names and metadata keys are documented in docs/asr.md.

export_moonshine(cfg, W, tok, path, dtype) -> the weights as stored (rounded to the file's dtype, HF layout), so a
reference run on them differs from the engine only by the engine's arithmetic. dtype: "f32", "f16", "q8_0" or "q4_0"
(matrices and convolution kernels; a quantized file keeps rows whose length is not a multiple of 32, such as
conv1's 127 taps, in f16; norms and biases stay f32). tok: dict(tokens=[...], types=[...], scores=[...], bos, eos).
Conv1d kernels [C_out, C_in, K] are stored permuted to [C_out, K, C_in] (ne = {K * C_in, C_out}).
"""
import numpy as np
import torch

import ggufw
import quants


def add_spm_tokenizer(g, tok):
    g.string("tokenizer.ggml.model", "llama")
    g.string("tokenizer.ggml.pre", "default")
    g.strings("tokenizer.ggml.tokens", tok["tokens"])
    g.i32s("tokenizer.ggml.token_type", tok["types"])
    g.f32s("tokenizer.ggml.scores", tok["scores"])
    g.u32("tokenizer.ggml.bos_token_id", tok["bos"])
    g.u32("tokenizer.ggml.eos_token_id", tok["eos"])
    if tok.get("merges"):
        g.strings("tokenizer.ggml.merges", tok["merges"])
    if "unk" in tok:
        g.u32("tokenizer.ggml.unknown_token_id", tok["unk"])
    g.boolean("tokenizer.ggml.add_bos_token", False)


def export_moonshine(cfg, W, tok, path, dtype="f32"):
    a = "moonshine"
    E = cfg["hidden_size"]
    g = ggufw.Writer()
    g.string("general.architecture", a)
    g.string("general.name", cfg.get("name", a))
    g.u32(f"{a}.embedding_length", E)
    g.u32(f"{a}.feed_forward_length", cfg["intermediate_size"])
    g.u32(f"{a}.encoder.block_count", cfg["encoder_num_hidden_layers"])
    g.u32(f"{a}.decoder.block_count", cfg["decoder_num_hidden_layers"])
    g.u32(f"{a}.encoder.attention.head_count", cfg["encoder_num_attention_heads"])
    g.u32(f"{a}.decoder.attention.head_count", cfg["decoder_num_attention_heads"])
    for part in ("encoder", "decoder"):
        hd = E // cfg[f"{part}_num_attention_heads"]
        g.u32(f"{a}.{part}.rope.dimension_count", int(hd * cfg.get("partial_rotary_factor", 0.9)))
    g.f32(f"{a}.rope.freq_base", cfg.get("rope_theta", 10000.0))
    g.f32(f"{a}.attention.layer_norm_epsilon", 1e-5)
    g.u32(f"{a}.context_length", cfg.get("max_position_embeddings", 512))
    g.u32(f"{a}.decoder_start_token_id", cfg.get("decoder_start_token_id", 1))
    g.f32(f"{a}.max_tokens_per_second", cfg.get("max_tokens_per_second", 6.5))
    add_spm_tokenizer(g, tok)

    stored = {}
    f16 = dtype == "f16"

    def put(gname, hname, t, ne, matrix):
        if matrix and dtype in ("q8_0", "q4_0") and ne[0] % 32 == 0:  # row-wise blocks of 32 (else f16 below)
            raw, dq = quants.encode(t.numpy().reshape(ne[1], ne[0]), dtype)
            g.tensor(gname, ggufw.T_Q8_0 if dtype == "q8_0" else ggufw.T_Q4_0, ne, raw)
            return torch.from_numpy(dq.astype(np.float64)).reshape(t.shape)
        if matrix and (f16 or dtype in ("q8_0", "q4_0")):
            arr = t.numpy().astype(np.float16)
            g.tensor(gname, ggufw.T_F16, ne, arr.tobytes())
            back = torch.from_numpy(arr.astype(np.float64))
        else:
            arr = t.numpy().astype(np.float32)
            g.tensor(gname, ggufw.T_F32, ne, arr.tobytes())
            back = torch.from_numpy(arr.astype(np.float64))
        return back

    def lin(gname, hname):
        t = W[hname]
        stored[hname] = put(gname, hname, t, [t.shape[1], t.shape[0]], True)

    def vec(gname, hname):
        t = W[hname]
        stored[hname] = put(gname, hname, t, [t.shape[0]], False)

    def conv(gname, hname):
        t = W[hname]  # [C_out, C_in, K]
        co, ci, k = t.shape
        back = put(gname, hname, t.permute(0, 2, 1).contiguous(), [k * ci, co], True)
        stored[hname] = back.view(co, k, ci).permute(0, 2, 1).contiguous()

    p = "model.encoder."
    conv("enc.conv1.weight", p + "conv1.weight")
    vec("enc.groupnorm.weight", p + "groupnorm.weight")
    vec("enc.groupnorm.bias", p + "groupnorm.bias")
    conv("enc.conv2.weight", p + "conv2.weight")
    vec("enc.conv2.bias", p + "conv2.bias")
    conv("enc.conv3.weight", p + "conv3.weight")
    vec("enc.conv3.bias", p + "conv3.bias")

    def attn(gp, hp):
        for gn, hn in (("q", "q_proj"), ("k", "k_proj"), ("v", "v_proj"), ("output", "o_proj")):
            lin(f"{gp}_{gn}.weight", f"{hp}{hn}.weight")

    for i in range(cfg["encoder_num_hidden_layers"]):
        q, b = f"{p}layers.{i}.", f"enc.blk.{i}."
        vec(b + "attn_norm.weight", q + "input_layernorm.weight")
        attn(b + "attn", q + "self_attn.")
        vec(b + "ffn_norm.weight", q + "post_attention_layernorm.weight")
        lin(b + "ffn_up.weight", q + "mlp.fc1.weight")
        vec(b + "ffn_up.bias", q + "mlp.fc1.bias")
        lin(b + "ffn_down.weight", q + "mlp.fc2.weight")
        vec(b + "ffn_down.bias", q + "mlp.fc2.bias")
    vec("enc.output_norm.weight", p + "layer_norm.weight")

    p = "model.decoder."
    lin("dec.token_embd.weight", p + "embed_tokens.weight")
    I = cfg["intermediate_size"]
    for i in range(cfg["decoder_num_hidden_layers"]):
        q, b = f"{p}layers.{i}.", f"dec.blk.{i}."
        vec(b + "attn_norm.weight", q + "input_layernorm.weight")
        attn(b + "attn", q + "self_attn.")
        vec(b + "cross_attn_norm.weight", q + "post_attention_layernorm.weight")
        attn(b + "cross_attn", q + "encoder_attn.")
        vec(b + "ffn_norm.weight", q + "final_layernorm.weight")
        # fc1 = [up; gate] (HF chunks its output as (hidden, gate)): split into two matrices.
        fw, fb = W[q + "mlp.fc1.weight"], W[q + "mlp.fc1.bias"]
        up_w = put(b + "ffn_up.weight", None, fw[:I], [E, I], True)
        gate_w = put(b + "ffn_gate.weight", None, fw[I:], [E, I], True)
        up_b = put(b + "ffn_up.bias", None, fb[:I], [I], False)
        gate_b = put(b + "ffn_gate.bias", None, fb[I:], [I], False)
        stored[q + "mlp.fc1.weight"] = torch.cat([up_w, gate_w])
        stored[q + "mlp.fc1.bias"] = torch.cat([up_b, gate_b])
        lin(b + "ffn_down.weight", q + "mlp.fc2.weight")
        vec(b + "ffn_down.bias", q + "mlp.fc2.bias")
    vec("dec.output_norm.weight", p + "norm.weight")
    if not cfg.get("tie_word_embeddings", True):
        lin("dec.output.weight", "proj_out.weight")
    g.write(path)
    return stored


def export_whisper(cfg, W, tok, path, dtype="f32"):
    """Whisper (HF WhisperForConditionalGeneration names) -> GGUF; tokenizer: byte-level BPE (tok: tokens, types,
    merges, bos, eos). Position tables stay f32. Returns the weights as stored (HF layout)."""
    a = "whisper"
    d = cfg["d_model"]
    g = ggufw.Writer()
    g.string("general.architecture", a)
    g.string("general.name", cfg.get("name", a))
    g.u32(f"{a}.embedding_length", d)
    g.u32(f"{a}.encoder.feed_forward_length", cfg["encoder_ffn_dim"])
    g.u32(f"{a}.decoder.feed_forward_length", cfg["decoder_ffn_dim"])
    g.u32(f"{a}.encoder.block_count", cfg["encoder_layers"])
    g.u32(f"{a}.decoder.block_count", cfg["decoder_layers"])
    g.u32(f"{a}.encoder.attention.head_count", cfg["encoder_attention_heads"])
    g.u32(f"{a}.decoder.attention.head_count", cfg["decoder_attention_heads"])
    g.u32(f"{a}.n_mels", cfg["num_mel_bins"])
    g.u32(f"{a}.encoder.context_length", cfg["max_source_positions"])
    g.u32(f"{a}.decoder.context_length", cfg["max_target_positions"])
    g.f32(f"{a}.attention.layer_norm_epsilon", 1e-5)
    g.u32(f"{a}.decoder_start_token_id", cfg.get("decoder_start_token_id", tok["bos"]))
    g.string("tokenizer.ggml.model", "gpt2")
    g.string("tokenizer.ggml.pre", "gpt2")
    g.strings("tokenizer.ggml.tokens", tok["tokens"])
    g.i32s("tokenizer.ggml.token_type", tok["types"])
    g.strings("tokenizer.ggml.merges", tok.get("merges", []))
    g.u32("tokenizer.ggml.bos_token_id", tok["bos"])
    g.u32("tokenizer.ggml.eos_token_id", tok["eos"])
    stored = {}
    f16 = dtype == "f16"

    def put(gname, t, ne, matrix):
        if matrix and f16:
            arr = t.numpy().astype(np.float16)
            g.tensor(gname, ggufw.T_F16, ne, arr.tobytes())
        else:
            arr = t.numpy().astype(np.float32)
            g.tensor(gname, ggufw.T_F32, ne, arr.tobytes())
        return torch.from_numpy(arr.astype(np.float64))

    def lin(gname, hname, bias=True):
        t = W[hname + ".weight"]
        stored[hname + ".weight"] = put(gname + ".weight", t, [t.shape[1], t.shape[0]], True)
        if bias:
            vec(gname + ".bias", hname + ".bias")

    def vec(gname, hname):
        stored[hname] = put(gname, W[hname], [W[hname].shape[0]], False)

    def table(gname, hname, matrix):
        t = W[hname]
        stored[hname] = put(gname, t, [t.shape[1], t.shape[0]], matrix)

    def norm(gname, hname):
        vec(gname + ".weight", hname + ".weight")
        vec(gname + ".bias", hname + ".bias")

    def conv(gname, hname):
        t = W[hname + ".weight"]
        co, ci, k = t.shape
        back = put(gname + ".weight", t.permute(0, 2, 1).contiguous(), [k * ci, co], True)
        stored[hname + ".weight"] = back.view(co, k, ci).permute(0, 2, 1).contiguous()
        vec(gname + ".bias", hname + ".bias")

    def attn(gp, hp):
        lin(gp + "_q", hp + "q_proj")
        lin(gp + "_k", hp + "k_proj", bias=False)
        lin(gp + "_v", hp + "v_proj")
        lin(gp + "_output", hp + "out_proj")

    p = "model.encoder."
    conv("enc.conv1", p + "conv1")
    conv("enc.conv2", p + "conv2")
    table("enc.position_embd.weight", p + "embed_positions.weight", False)
    for i in range(cfg["encoder_layers"]):
        q, b = f"{p}layers.{i}.", f"enc.blk.{i}."
        norm(b + "attn_norm", q + "self_attn_layer_norm")
        attn(b + "attn", q + "self_attn.")
        norm(b + "ffn_norm", q + "final_layer_norm")
        lin(b + "ffn_up", q + "fc1")
        lin(b + "ffn_down", q + "fc2")
    norm("enc.output_norm", p + "layer_norm")
    p = "model.decoder."
    table("dec.token_embd.weight", p + "embed_tokens.weight", True)
    table("dec.position_embd.weight", p + "embed_positions.weight", False)
    for i in range(cfg["decoder_layers"]):
        q, b = f"{p}layers.{i}.", f"dec.blk.{i}."
        norm(b + "attn_norm", q + "self_attn_layer_norm")
        attn(b + "attn", q + "self_attn.")
        norm(b + "cross_attn_norm", q + "encoder_attn_layer_norm")
        attn(b + "cross_attn", q + "encoder_attn.")
        norm(b + "ffn_norm", q + "final_layer_norm")
        lin(b + "ffn_up", q + "fc1")
        lin(b + "ffn_down", q + "fc2")
    norm("dec.output_norm", p + "layer_norm")
    g.write(path)
    return stored
