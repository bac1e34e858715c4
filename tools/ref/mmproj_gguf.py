"""mmproj_gguf.py — writes a SmolVLM / Idefics3 vision tower (Hugging Face names, siglip_ref.py) as an "mmproj" GGUF
with the keys and tensor names llama.cpp's converters use for projector type idefics3:
  general.architecture "clip", clip.has_vision_encoder, clip.projector_type "idefics3", clip.use_gelu,
  clip.vision.{image_size, patch_size, embedding_length, feed_forward_length, block_count, projection_dim,
  attention.head_count, attention.layer_norm_epsilon, projector.scale_factor, image_mean, image_std};
  v.patch_embd.weight [P, P, 3, D] (+ .bias), v.position_embd.weight [D, N], v.blk.N.{attn_q, attn_k, attn_v, attn_out,
  ln1, ln2, ffn_up (fc1), ffn_down (fc2)}.{weight, bias}, v.post_ln.{weight, bias}, mm.model.fc.weight [D s^2, T].
Shapes are GGUF ne (innermost first), i.e. PyTorch shapes reversed.
Matrix types (matrix_dtype): "f32"; "f16" (every tensor of 2 or more dimensions but the position table);
"q8_0": the 2-D matrices whose rows fill 32-value blocks in Q8_0 (quants.q8_0), the others (the 4-D patch
convolution, whose ne[0] is the patch size, and rows of other lengths) in F16, as "f16" would write them. Norms,
biases and the position table are F32 in every case.
"""
import numpy as np

import ggufw
import quants

NAMES = {"layer_norm1": "ln1", "layer_norm2": "ln2", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
         "self_attn.v_proj": "attn_v", "self_attn.out_proj": "attn_out", "mlp.fc1": "ffn_up", "mlp.fc2": "ffn_down"}


def gguf_name(hf):
    if hf.startswith("embeddings.patch_embedding."):
        return "v.patch_embd." + hf.rsplit(".", 1)[1]
    if hf == "embeddings.position_embedding.weight":
        return "v.position_embd.weight"
    if hf.startswith("post_layernorm."):
        return "v.post_ln." + hf.rsplit(".", 1)[1]
    if hf == "connector.modality_projection.proj.weight":
        return "mm.model.fc.weight"
    assert hf.startswith("encoder.layers."), hf
    rest = hf[len("encoder.layers."):]
    i, rest = rest.split(".", 1)
    mod, kind = rest.rsplit(".", 1)
    return f"v.blk.{i}.{NAMES[mod]}.{kind}"


def write(cfg, W, path, matrix_dtype="f32", preproc_image_size=None):
    """preproc_image_size: clip.vision.preproc_image_size (the processor's longest edge), written when given."""
    g = ggufw.Writer()
    g.string("general.architecture", "clip")
    g.boolean("clip.has_vision_encoder", True)
    g.string("clip.projector_type", "idefics3")
    g.boolean("clip.use_gelu", True)
    g.u32("clip.vision.image_size", cfg["image_size"])
    g.u32("clip.vision.patch_size", cfg["patch_size"])
    g.u32("clip.vision.embedding_length", cfg["hidden_size"])
    g.u32("clip.vision.feed_forward_length", cfg["intermediate_size"])
    g.u32("clip.vision.block_count", cfg["num_hidden_layers"])
    g.u32("clip.vision.projection_dim", cfg["text_hidden_size"])
    g.u32("clip.vision.attention.head_count", cfg["num_attention_heads"])
    g.f32("clip.vision.attention.layer_norm_epsilon", cfg["layer_norm_eps"])
    g.u32("clip.vision.projector.scale_factor", cfg["scale_factor"])
    if preproc_image_size:
        g.u32("clip.vision.preproc_image_size", preproc_image_size)
    g.f32s("clip.vision.image_mean", [0.5, 0.5, 0.5])
    g.f32s("clip.vision.image_std", [0.5, 0.5, 0.5])
    stored = {}
    for hf, t in W.items():
        a = t.detach().cpu().numpy()
        name = gguf_name(hf)
        ne = list(reversed(a.shape))
        matrix = a.ndim >= 2 and name != "v.position_embd.weight"
        if matrix_dtype == "q8_0" and matrix and a.ndim == 2 and ne[0] % 32 == 0:
            raw, deq = quants.encode(a.astype(np.float32), "q8_0")
            g.tensor(name, ggufw.T_Q8_0, ne, raw)
            stored[hf] = deq.astype(np.float64)
        elif matrix_dtype in ("f16", "q8_0") and matrix:
            a16 = a.astype(np.float16)
            g.tensor(name, ggufw.T_F16, ne, a16.tobytes())
            stored[hf] = a16.astype(np.float64)
        else:
            a32 = a.astype(np.float32)
            g.tensor(name, ggufw.T_F32, ne, a32.tobytes())
            stored[hf] = a32.astype(np.float64)
    g.write(path)
    return stored  # the weights as the file holds them, for the reference run
