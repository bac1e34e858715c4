"""test_train.py — unit checks of the training tools (CPU, a few seconds):
  - model.Decoder's logits equal tools/ref/arch.py forward's on the same random weights (float64, llama with
    llama3 RoPE scaling, qwen2 with bias, gemma3 with sliding windows), max |diff| <= 1e-9 x max |logit|;
  - LoRA: a model with non-zero adapters gives the same logits as the merged model (1e-9 relative);
  - tokenizer: encode/decode round-trips the corpus; specials are single tokens; training is deterministic;
  - datagen: deterministic per seed, splits disjoint, every note valid under its domain schema.
Usage: /usr/bin/python3 tools/train/test_train.py
"""
import json
import os
import sys
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import datagen  # noqa: E402
import eval as evaluate  # noqa: E402
import model as M  # noqa: E402
import tokenizer as tk  # noqa: E402
from model import ref  # noqa: E402

BASE = dict(hidden_size=32, intermediate_size=48, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
            rms_norm_eps=1e-5, rope_theta=10000.0, vocab_size=40, max_position_embeddings=64)
CFGS = {
    "llama": dict(BASE, arch="llama", num_hidden_layers=2, tie=False,
                  rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                    original_max_position_embeddings=8)),
    "qwen2": dict(BASE, arch="qwen2", num_hidden_layers=2, tie=True, rope_theta=1e6),
    "gemma3": dict(BASE, arch="gemma3", num_hidden_layers=7, num_key_value_heads=1, head_dim=16,
                   query_pre_attn_scalar=16, tie=True, rope_local_base_freq=10000.0, rope_theta=1e6,
                   sliding_window=3, sliding_window_pattern=6),
}


def random_model(cfg, seed):
    torch.manual_seed(seed)
    m = M.Decoder(cfg).double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    return m


class ModelParity(unittest.TestCase):
    def test_logits_equal_reference(self):
        toks = [3, 17, 5, 39, 0, 22, 8, 8, 1, 30, 12, 7]
        for name, cfg in CFGS.items():
            m = random_model(cfg, 1)
            got = m(torch.tensor([toks]))[0]
            want = ref.forward(cfg, m.weights(), toks)
            err = (got - want).abs().max().item() / want.abs().max().item()
            self.assertLess(err, 1e-9, name)

    def test_lora_merge(self):
        for name, cfg in CFGS.items():
            m = random_model(cfg, 2)
            params = M.add_lora(m, rank=4, alpha=8.0)
            with torch.no_grad():
                for p in params:
                    p.copy_(torch.randn_like(p) * 0.2)
            self.assertTrue(all(not p.requires_grad for n, p in m.named_parameters() if "lora" not in n))
            x = torch.tensor([[1, 2, 3, 4, 5, 6]])
            before = m(x)
            M.merge_lora(m)
            after = m(x)
            self.assertEqual(set(m.state_dict()), set(random_model(cfg, 2).state_dict()), name)
            err = (before - after).abs().max().item() / before.abs().max().item()
            self.assertLess(err, 1e-9, name)
            self.assertGreater((before - random_model(cfg, 2)(x)).abs().max().item(), 1e-3, name)


class Tokenizer(unittest.TestCase):
    def test_roundtrip(self):
        texts = [datagen.train_text(e) for e in datagen.split("train", 60)]
        merges = tk.train(texts, 120)
        self.assertEqual(merges, tk.train(texts, 120))
        t = tk.Tokenizer(merges)
        for s in texts + ["naïve café — 12,345 mg\n\n  x", "it's we'll  "]:
            ids = t.encode(s)
            self.assertEqual(t.decode(ids), s)
        ids = t.encode("<|im_start|>user\nhi<|im_end|>")
        self.assertEqual(ids[0], t.id["<|im_start|>"])
        self.assertEqual(ids[-1], t.eos)
        self.assertLess(len(t.encode(texts[0])), 0.6 * len(texts[0].encode()))


class Datagen(unittest.TestCase):
    def test_splits_and_schemas(self):
        self.assertEqual(datagen.example(5), datagen.example(5))
        tr = {e["transcript"] for e in datagen.split("train", 200)}
        te = {e["transcript"] for e in datagen.split("test", 200)}
        self.assertLess(len(tr & te), 5)  # short templates can coincide by chance; seeds never do
        styles = set()
        for e in datagen.split("validation", 400):
            styles.add((e["domain"], e["style"]))
            schema = datagen.schema(e["domain"])
            self.assertEqual(list(e["note"]), list(schema["properties"]), e)  # schema order, all present
            self.assertEqual(evaluate.schema_errors(e["note"], schema), [], e)
            self.assertEqual(evaluate.hallucinated(e["note"], e["transcript"], schema), [], e)
        self.assertEqual(len(styles), 8)  # every domain in both styles
        soap = datagen.schema("soap")
        self.assertGreater(len(evaluate.schema_errors({"subjective": 1, "follow_up": "2026-02-30"}, soap)), 5)
        self.assertEqual(evaluate.schema_errors("2026-02-28", soap["properties"]["follow_up"]), [])
        self.assertNotEqual(evaluate.schema_errors("2026-02-30", soap["properties"]["follow_up"]), [])
        self.assertEqual(evaluate.hallucinated({"d": "2026-03-04"}, "on 4/3/2026"), [])
        self.assertEqual(evaluate.hallucinated({"d": "2026-03-04"}, "the 4th of March 2026"), [])
        self.assertEqual(evaluate.hallucinated({"d": "2026-03-05"}, "the 4th of March 2026"), ["5"])

    def test_prompt_is_the_products(self):
        # apps/scribe/note.cpp builds: description + "\n\nTranscript:\n" + transcript + "\n\nAnswer with the
        # JSON note only." as the user turn of the chat format (ChatML for our tokenizer).
        src = open(os.path.join(HERE, "..", "..", "apps", "scribe", "note.cpp")).read()
        self.assertIn('t.instruction + "\\n\\nTranscript:\\n" + transcript + "\\n\\nAnswer with the JSON note only."', src)
        e = datagen.example(3)
        self.assertTrue(datagen.prompt_text(e).startswith("<|im_start|>user\n" + datagen.schema(e["domain"])["description"]))


class AsrModel(unittest.TestCase):
    def test_batched_moonshine_equals_reference(self):
        # asr_model.Moonshine on a right-padded batch == tools/ref/moonshine_ref.py on each example alone
        import asr_model as A
        import moonshine_ref as mref
        cfg = dict(hidden_size=32, intermediate_size=48, encoder_num_hidden_layers=2, decoder_num_hidden_layers=2,
                   encoder_num_attention_heads=4, decoder_num_attention_heads=4, partial_rotary_factor=0.75,
                   rope_theta=10000.0, vocab_size=40, tie_word_embeddings=True)
        W = mref.random_weights(cfg, 1)
        m = A.Moonshine(cfg).double()
        m.load_state_dict(W)
        g = torch.Generator().manual_seed(0)
        clips = [torch.randn(n, generator=g, dtype=torch.float64) * 0.1 for n in (5000, 7000)]
        audio = torch.zeros(2, 7000, dtype=torch.float64)
        for r, c in enumerate(clips):
            audio[r, :len(c)] = c
        toks = [1, 5, 7, 9, 3]
        enc, valid = m.encode(audio, torch.tensor([5000, 7000]))
        logits = m.decode(enc, valid, torch.tensor([toks, toks]))
        for r, c in enumerate(clips):
            want_e = mref.encode(cfg, W, c)
            want_l = mref.decode(cfg, W, want_e, toks)
            self.assertEqual(int(valid[r].sum()), want_e.shape[0])
            self.assertLess((enc[r, :want_e.shape[0]] - want_e).abs().max().item(), 1e-9)
            self.assertLess((logits[r] - want_l).abs().max().item(), 1e-9 * want_l.abs().max().item())

    def test_gguf_weights_read_back(self):
        # asr.weights_from_gguf inverts asr_gguf.export_moonshine: exact for f32, within Q8_0 rounding for q8_0
        import tempfile
        import asr
        import asr_model as A
        tokd = asr.train_tokenizer(["Consultation with Maria Garcia.", "Review on the 2nd of December 2026."], 30)
        tok = asr.SpmTok(tokd)
        cfg = dict(name="t", hidden_size=64, intermediate_size=256, encoder_num_hidden_layers=2,
                   decoder_num_hidden_layers=2, encoder_num_attention_heads=4, decoder_num_attention_heads=4,
                   partial_rotary_factor=0.9, rope_theta=10000.0, vocab_size=(len(tok.tokens) + 63) // 64 * 64,
                   tie_word_embeddings=True, max_position_embeddings=512, decoder_start_token_id=1,
                   max_tokens_per_second=6.5)
        torch.manual_seed(0)
        sd = A.Moonshine(cfg).state_dict()
        with tempfile.TemporaryDirectory() as d:
            torch.save({"cfg": cfg, "tok": tokd, "weights": sd}, os.path.join(d, "c.pt"))
            for dt, tol in (("f32", 0.0), ("q8_0", 0.01)):
                path = os.path.join(d, dt + ".gguf")
                asr.main(["export", "--ckpt", os.path.join(d, "c.pt"), "--dtype", dt, "--out", path])
                W, toks = asr.weights_from_gguf(path)
                self.assertEqual(set(W), set(sd))
                self.assertEqual(toks[:len(tok.tokens)], tok.tokens)
                for k in sd:
                    err = (W[k] - sd[k]).abs().max().item()
                    self.assertLessEqual(err, tol * sd[k].abs().max().item(), (dt, k))

    def test_spm_tokenizer_round_trip(self):
        import asr
        texts = ["Consultation with Maria Garcia.", "Review on the 2nd of December 2026, um, okay."]
        tok = asr.SpmTok(asr.train_tokenizer(texts, 40))
        for t in texts + ["naïve café 38.2%"]:  # unseen characters go through the byte fallback
            self.assertEqual(tok.decode(tok.encode(t)), t)
        self.assertLess(len(tok.encode(texts[0])), len(texts[0]))


class Rouge(unittest.TestCase):
    def test_rouge_by_hand(self):
        # ref "the cat sat on the mat", hyp "the cat on the mat": 1-gram overlap 5 (P 5/5, R 5/6);
        # 2-grams ref {the cat, cat sat, sat on, on the, the mat}, hyp {the cat, cat on, on the, the mat}: 3;
        # LCS = 5 ("the cat on the mat").
        r = evaluate.rouge("the cat on the mat", "the cat sat on the mat")
        self.assertAlmostEqual(r["rouge1"], 2 * 1 * (5 / 6) / (1 + 5 / 6))
        self.assertAlmostEqual(r["rouge2"], 2 * (3 / 4) * (3 / 5) / (3 / 4 + 3 / 5))
        self.assertAlmostEqual(r["rougeL"], 2 * 1 * (5 / 6) / (1 + 5 / 6))
        self.assertEqual(evaluate.rouge("", "a b")["rouge1"], 0.0)


if __name__ == "__main__":
    unittest.main()
