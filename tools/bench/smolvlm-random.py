"""smolvlm-random.py — random-weight files of the SmolVLM-256M shape for tools/bench/vision-bench.mjs (speed does not
depend on the values):
  smolvlm-256m-random-{q8_0,f16}.gguf   the language model: SmolLM2-135M's shape (llama, 576 x 30 layers, 9/3 heads of
                                        64, ff 1536, tied), vocabulary 49152 (256 byte tokens, SmolVLM's control
                                        tokens, then unused control tokens up to SmolLM2's size)
  mmproj-smolvlm-256m-random-{f16,q8_0}.gguf   the vision tower: SigLIP base patch-16/512 (768 x 12 layers, 12 heads,
                                        ff 3072), pixel shuffle 4, projection to 576, the same weights with f16 and
                                        with q8_0 matrices (mmproj_gguf.py); preproc_image_size 512, so an image is one
                                        512 x 512 tile (the bar's "at 512 x 512")
Usage: /usr/bin/python3 tools/bench/smolvlm-random.py OUT_DIR [q8_0|f16 [TOWER_TYPES]]   (TOWER_TYPES: f16,q8_0;
       about 1.5 GB of RAM while it runs)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ref"))

import export  # noqa: E402
import make_fixtures  # noqa: E402
import make_vlm_fixtures  # noqa: E402
import mmproj_gguf  # noqa: E402
import siglip_ref  # noqa: E402

VISION = dict(image_size=512, patch_size=16, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
              num_attention_heads=12, layer_norm_eps=1e-6, scale_factor=4, text_hidden_size=576)
SPECIALS = make_vlm_fixtures.SPECIALS
N_VOCAB = 49152
LM = dict(make_vlm_fixtures.LM, hidden_size=576, intermediate_size=1536, num_attention_heads=9, num_key_value_heads=3,
          head_dim=64, num_hidden_layers=30, vocab_size=N_VOCAB, max_position_embeddings=8192,
          specials=SPECIALS + [f"<|unused_{i}|>" for i in range(N_VOCAB - 256 - len(SPECIALS))])

if __name__ == "__main__":
    out = sys.argv[1]
    dtype = sys.argv[2] if len(sys.argv) > 2 else "q8_0"
    os.makedirs(out, exist_ok=True)
    lm = os.path.join(out, f"smolvlm-256m-random-{dtype}.gguf")
    export.export(dict(LM, name="smolvlm-256m-random"), make_fixtures.random_weights(LM, seed=256), dtype, lm)
    print(lm, os.path.getsize(lm))
    W = siglip_ref.random_weights(VISION, seed=256)
    for t in (sys.argv[3] if len(sys.argv) > 3 else "f16,q8_0").split(","):
        mm = os.path.join(out, f"mmproj-smolvlm-256m-random-{t}.gguf")
        mmproj_gguf.write(VISION, W, mm, matrix_dtype=t, preproc_image_size=512)
        print(mm, os.path.getsize(mm))
