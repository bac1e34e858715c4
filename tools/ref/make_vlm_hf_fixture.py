"""make_vlm_hf_fixture.py — a tiny SmolVLM / Idefics3 checkpoint in the Hugging Face layout (the names transformers'
Idefics3ForConditionalGeneration saves: model.vision_model.*, model.connector.modality_projection.proj.weight,
model.text_model.*, lm_head.weight), holding exactly the weights of the engine's tiny VLM fixtures: the vision tower
of make_vision_fixtures.py (siglip_ref.random_weights(TINY, seed=20) -> tiny-mmproj-f32.gguf) and the language model
of make_vlm_fixtures.py (make_fixtures.random_weights(LM, seed=2020) -> tiny-vlm-f32.gguf), stored as F32. So
`sotto convert` of this folder must give those files' tensors byte for byte, and the whole model must answer as
tiny-vlm.ref.gguf (smolvlm_ref.py) says (tests/test-convert-vision.cpp).

  config.json             model_type idefics3, text_config (llama, SmolLM2's shape in miniature), vision_config,
                          scale_factor 4, tie_word_embeddings (lm_head.weight is stored too, equal to the embedding)
  tokenizer.json          byte-level BPE (GPT-2 byte pieces, ids 0..255), SmolVLM's control tokens as added tokens
                          (ids 256..), SmolLM2's Digits + ByteLevel pre-tokenizer, no merges
  preprocessor_config.json / processor_config.json  Idefics3ImageProcessor's fields at this scale (longest edge
                          4 x 64, tile 64, mean / std 0.5), image_seq_len 4
  SHA256SUMS              of mmproj_gguf.write's files for the stored (F32) tower: f32 and f16 matrices
  tower-f16.ref.gguf      siglip_ref.py (float64) on the f16 file's weights (F32 -> F16 once, so not exactly
                          tiny-mmproj-f16.gguf's, rounded from float64): `encoded` and `embeds` for the pixels of
                          tests/fixtures/vision/tiny-mmproj-f32.ref.gguf, as make_vision_fixtures.py writes them

Usage: /usr/bin/python3 tools/ref/make_vlm_hf_fixture.py [out_dir]   (default tests/fixtures/hf-smolvlm)
       /usr/bin/python3 tools/ref/make_vlm_hf_fixture.py --real-vision DIR
         SmolVLM-256M's vision config (768 wide, 12 layers, 512 / 16, pixel shuffle 4, projection 576; random BF16
         weights, 0.19 GB) with a one-layer text model of SmolLM2-135M's width: the converter at the real tower's shape.
"""
import hashlib
import json
import os
import tempfile
import sys

import numpy as np

import torch

import export
import ggufw
import make_fixtures
import make_vision_fixtures
import make_vlm_fixtures
import mmproj_gguf
import safetensors
import siglip_ref

HERE = os.path.dirname(os.path.abspath(__file__))


REAL_VISION = dict(image_size=512, patch_size=16, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                   num_attention_heads=12, layer_norm_eps=1e-6, scale_factor=4, text_hidden_size=576)


def main():
    real = len(sys.argv) > 2 and sys.argv[1] == "--real-vision"
    out = sys.argv[2] if real else sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../tests/fixtures/hf-smolvlm")
    os.makedirs(out, exist_ok=True)
    vcfg, LM = make_vision_fixtures.TINY, make_vlm_fixtures.LM
    if real:
        vcfg = REAL_VISION
        LM = dict(LM, hidden_size=576, intermediate_size=1536, num_attention_heads=9, num_key_value_heads=3,
                  head_dim=64, num_hidden_layers=1)
    Wv = siglip_ref.random_weights(vcfg, seed=20)
    Wl = make_fixtures.random_weights(LM, seed=2020)
    T = {}
    for k, v in Wv.items():
        T[("model." if k.startswith("connector.") else "model.vision_model.") + k] = v.float().numpy()
    for k, v in Wl.items():
        T[k.replace("model.", "model.text_model.", 1)] = v.float().numpy()
    T["lm_head.weight"] = T["model.text_model.embed_tokens.weight"].copy()  # tied by the config
    safetensors.write(os.path.join(out, "model.safetensors"), T, bf16=set(T) if real else ())

    text = {k: LM[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                               "num_key_value_heads", "head_dim", "rms_norm_eps", "rope_theta", "vocab_size",
                               "max_position_embeddings")}
    text.update(model_type="llama", _name_or_path="sotto-test/tiny-smolvlm-text")
    vision = {"model_type": "idefics3_vision", "hidden_size": vcfg["hidden_size"], "image_size": vcfg["image_size"],
              "patch_size": vcfg["patch_size"], "intermediate_size": vcfg["intermediate_size"],
              "num_hidden_layers": vcfg["num_hidden_layers"], "num_attention_heads": vcfg["num_attention_heads"],
              "layer_norm_eps": vcfg["layer_norm_eps"], "max_image_size": {"longest_edge": vcfg["image_size"]}}
    specials = make_vlm_fixtures.SPECIALS
    config = {"architectures": ["Idefics3ForConditionalGeneration"], "model_type": "idefics3",
              "image_token_id": 256 + specials.index("<image>"), "scale_factor": vcfg["scale_factor"],
              "tie_word_embeddings": True, "text_config": text, "vision_config": vision, "torch_dtype": "float32"}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    byte_tok = export.gpt2_byte_map()
    vocab = {byte_tok[b]: b for b in range(256)}
    added = [{"id": 256 + i, "content": s, "special": True, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False} for i, s in enumerate(specials)]
    pre = [{"type": "Digits", "individual_digits": True},
           {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]
    doc = {"version": "1.0", "added_tokens": added, "normalizer": None,
           "pre_tokenizer": {"type": "Sequence", "pretokenizers": pre},
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "byte_fallback": False, "vocab": vocab,
                     "merges": []}}
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)

    S = vcfg["image_size"]
    pre_conf = {"image_processor_type": "Idefics3ImageProcessor", "do_convert_rgb": True, "do_resize": True,
                "size": {"longest_edge": 4 * S}, "resample": 1, "do_image_splitting": True,
                "max_image_size": {"longest_edge": S}, "do_rescale": True, "rescale_factor": 1 / 255,
                "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "do_pad": True}
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump(pre_conf, f, indent=2)
    n_tok = (S // vcfg["patch_size"]) ** 2 // vcfg["scale_factor"] ** 2
    with open(os.path.join(out, "processor_config.json"), "w") as f:
        json.dump({"image_seq_len": n_tok, "processor_class": "Idefics3Processor"}, f, indent=2)
    if real:
        print(f"{out}: {len(T)} tensors, {os.path.getsize(os.path.join(out, 'model.safetensors'))} bytes")
        return
    sums, held = [], None
    with tempfile.TemporaryDirectory() as tmp:
        stored = {k: v.float() for k, v in Wv.items()}  # the F32 values the checkpoint holds
        for t in ("f32", "f16", "q8_0"):
            path = os.path.join(tmp, f"mmproj-{t}.gguf")
            w = mmproj_gguf.write(vcfg, stored, path, matrix_dtype=t)
            held = w if t == "f16" else held
            with open(path, "rb") as f:
                sums.append(f"{hashlib.sha256(f.read()).hexdigest()}  mmproj-{t}.gguf\n")
    with open(os.path.join(out, "SHA256SUMS"), "w") as f:
        f.writelines(sums)
    Ws = {k: torch.from_numpy(v) for k, v in held.items()}  # the f16 file's weights
    g = torch.Generator().manual_seed(7)  # make_vision_fixtures.py's pixels
    pixels = (torch.rand(3, S, S, generator=g, dtype=torch.float64) * 2 - 1).float().double()
    enc = siglip_ref.encoder(vcfg, Ws, pixels)
    emb = siglip_ref.connector(vcfg, Ws, enc)
    r = ggufw.Writer()
    r.tensor("encoded", ggufw.T_F32, [enc.shape[1], enc.shape[0]], enc.numpy().astype(np.float32).tobytes())
    r.tensor("embeds", ggufw.T_F32, [emb.shape[1], emb.shape[0]], emb.numpy().astype(np.float32).tobytes())
    r.write(os.path.join(out, "tower-f16.ref.gguf"))
    print(f"{out}: {len(T)} tensors, {os.path.getsize(os.path.join(out, 'model.safetensors'))} bytes")


if __name__ == "__main__":
    main()
