"""make_asr_hf_fixture.py — tests the HF -> GGUF converter end to end: writes a shrunk random Moonshine checkpoint in
Hugging Face layout (config.json, model.safetensors with some tensors in BF16, tokenizer.json with merges), converts
it with convert_asr.py, and writes the reference encoder output and logits computed by moonshine_ref.py from the
checkpoint as read back from safetensors (not from the GGUF). tests/test-asr-parity.cpp then checks the converted
model against it, so a converter that mislays, mis-permutes or mis-splits a tensor fails in CI.
Also checks here: the converter's one-line refusals (wrong model_type, missing tensor, truncated safetensors).

Usage: /usr/bin/python3 tools/ref/make_asr_hf_fixture.py [out_dir]   (default tests/fixtures/asr)
Writes moonshine-hf.gguf / .ref.gguf and whisper-hf.gguf / .ref.gguf (the same for a Whisper checkpoint).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

import make_asr_fixtures as fx
import moonshine_ref as ref
import safetensors

HERE = os.path.dirname(os.path.abspath(__file__))


def tokenizer_json(vocab):
    toks = vocab["tokens"]
    return {"version": "1.0", "added_tokens": [{"id": i, "content": toks[i], "special": True} for i in (0, 1, 2)],
            "model": {"type": "BPE", "byte_fallback": True, "unk_token": "<unk>",
                      "vocab": {t: i for i, t in enumerate(toks)},
                      "merges": [["\u2581", "t"], "\u2581t h"]}}


def convert(hf, out):
    return subprocess.run([sys.executable, os.path.join(HERE, "convert_asr.py"), hf, out, "--type", "f32"],
                          capture_output=True, text=True)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../tests/fixtures/asr")
    cfg = dict(fx.SHRUNK, tie_word_embeddings=False, decoder_num_attention_heads=3, rope_theta=5000.0)
    W = ref.random_weights(cfg, 3000)
    arrays = {k: v.numpy().astype(np.float32) for k, v in W.items()}
    bf16 = {k for k in arrays if "decoder.layers.1." in k or "conv2" in k}
    tmp = tempfile.mkdtemp()
    try:
        hf = os.path.join(tmp, "hf")
        os.makedirs(hf)
        conf = dict(cfg, model_type="moonshine", bos_token_id=1, eos_token_id=2, decoder_start_token_id=1,
                    encoder_hidden_act="gelu", decoder_hidden_act="silu", max_position_embeddings=512)
        json.dump(conf, open(os.path.join(hf, "config.json"), "w"))
        safetensors.write(os.path.join(hf, "model.safetensors"), arrays, bf16=bf16)
        json.dump(tokenizer_json(fx.spm_vocab()), open(os.path.join(hf, "tokenizer.json"), "w"))
        gguf = os.path.join(out, "moonshine-hf.gguf")
        r = convert(hf, gguf)
        assert r.returncode == 0, r.stderr
        # Reference on the checkpoint as read back (BF16 rounding included), independent of the GGUF writer.
        back = {k: torch.from_numpy(v.astype(np.float64)) for k, v in safetensors.read(os.path.join(hf, "model.safetensors")).items()}
        assert any(not np.array_equal(back[k].numpy(), arrays[k]) for k in bf16), "bf16 rounding not exercised"
        audio = fx.test_audio(19000, 5)
        tokens = [1, 260, 261, 100, 5, 270, 3, 9]
        with torch.no_grad():
            enc = ref.encode(cfg, back, torch.from_numpy(audio.astype(np.float64)))
            logits = ref.decode(cfg, back, enc, tokens)
        fx.write_ref(os.path.join(out, "moonshine-hf.ref.gguf"), audio, enc, tokens, logits)
        print(f"moonshine-hf: {enc.shape[0]} frames, logits std {logits.std().item():.3f}")

        # Refusals: one line on stderr, non-zero exit.
        bad = os.path.join(tmp, "bad")
        shutil.copytree(hf, bad)
        json.dump(dict(conf, model_type="wav2vec2"), open(os.path.join(bad, "config.json"), "w"))
        r = convert(bad, os.path.join(tmp, "x.gguf"))
        assert r.returncode != 0 and "not supported" in r.stderr and r.stderr.count("\n") == 1, r.stderr
        json.dump(conf, open(os.path.join(bad, "config.json"), "w"))
        safetensors.write(os.path.join(bad, "model.safetensors"),
                          {k: v for k, v in arrays.items() if k != "model.encoder.conv1.weight"})
        r = convert(bad, os.path.join(tmp, "x.gguf"))
        assert r.returncode != 0 and "missing tensors" in r.stderr and r.stderr.count("\n") == 1, r.stderr
        data = open(os.path.join(hf, "model.safetensors"), "rb").read()
        open(os.path.join(bad, "model.safetensors"), "wb").write(data[:len(data) // 2])
        r = convert(bad, os.path.join(tmp, "x.gguf"))
        assert r.returncode != 0 and "outside the file" in r.stderr and r.stderr.count("\n") == 1, r.stderr
        print("converter refusals: ok")

        # Whisper in HF layout: byte-level BPE tokenizer.json with added special tokens.
        import whisper_ref
        wcfg = dict(fx.WHISPER, decoder_attention_heads=2)
        WW = whisper_ref.random_weights(wcfg, 3100)
        warr = {k: v.numpy().astype(np.float32) for k, v in WW.items()}
        wbf16 = {k for k in warr if "decoder.layers.0." in k}
        whf = os.path.join(tmp, "whf")
        os.makedirs(whf)
        voc = fx.byte_level_vocab()
        n_plain = len(voc["tokens"]) - len(fx.WHISPER_SPECIALS)
        json.dump(dict(wcfg, model_type="whisper", decoder_start_token_id=voc["bos"], eos_token_id=voc["eos"]),
                  open(os.path.join(whf, "config.json"), "w"))
        safetensors.write(os.path.join(whf, "model.safetensors"), warr, bf16=wbf16)
        tj = {"model": {"type": "BPE", "vocab": {t: i for i, t in enumerate(voc["tokens"][:n_plain])},
                        "merges": voc["merges"]},
              "added_tokens": [{"id": n_plain + i, "content": t, "special": True}
                               for i, t in enumerate(fx.WHISPER_SPECIALS)]}
        json.dump(tj, open(os.path.join(whf, "tokenizer.json"), "w"))
        r = convert(whf, os.path.join(out, "whisper-hf.gguf"))
        assert r.returncode == 0, r.stderr
        wback = {k: torch.from_numpy(v.astype(np.float64))
                 for k, v in safetensors.read(os.path.join(whf, "model.safetensors")).items()}
        n_frames = 2 * wcfg["max_source_positions"]
        mel = fx.mel_ref.log_mel(fx.test_audio(n_frames * 160, 40).astype(np.float64), 80)[:, :n_frames]
        mel = mel.astype(np.float32)
        wt = [voc["bos"], voc["bos"] + 1, 40, 41, 200, 258]
        with torch.no_grad():
            wenc = whisper_ref.encode(wcfg, wback, torch.from_numpy(mel.astype(np.float64)))
            wlog = whisper_ref.decode(wcfg, wback, wenc, wt)
        fx.write_ref(os.path.join(out, "whisper-hf.ref.gguf"), mel.T.reshape(-1), wenc, wt, wlog)
        print(f"whisper-hf: logits std {wlog.std().item():.3f}")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
