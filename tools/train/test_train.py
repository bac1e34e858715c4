"""test_train.py — unit checks of the training tools (CPU, a few seconds):
  - model.Decoder's logits equal tools/ref/arch.py forward's on the same random weights (float64, llama with
    llama3 RoPE scaling, qwen2 with bias, gemma3 with sliding windows), max |diff| <= 1e-9 x max |logit|;
  - LoRA: a model with non-zero adapters gives the same logits as the merged model (1e-9 relative);
  - tokenizer: encode/decode round-trips the corpus; specials are single tokens; training is deterministic;
  - datagen: deterministic per seed, splits disjoint, every note valid under its domain schema with no
    invented fact; nulls, spoken corrections (the note carries the corrected value) and relative dates (as
    said, or resolved against a visit date) occur; the held-out generator family (names, entities, sentence
    templates, speaker labels, small talk) never occurs in training output, nor in datagen_compose's parts; the
    training family is diverse (sentence skeletons per fact, 4-grams; datagen_stats) and a share of its free-text
    values is made up (datagen_open); medium conversations fit the 1,024-token sequence; long consultations are
    1,000-4,000 words; fact metrics and the prompt (visit date line) as apps/scribe/note.cpp builds it.
Usage: /usr/bin/python3 tools/train/test_train.py
"""
import json
import os
import sys
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ref"))
import datagen  # noqa: E402
import datagen_compose as CP  # noqa: E402
import datagen_lex as LX  # noqa: E402
import datagen_open as OP  # noqa: E402
import datagen_phrases as PH  # noqa: E402
import datagen_talk as TK  # noqa: E402
import eval as evaluate  # noqa: E402
import facts  # noqa: E402
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
        styles, nulls, corrections, rel_said, rel_resolved = set(), 0, 0, 0, 0
        for e in datagen.split("validation", 400, "mixed", "mixed") + datagen.split("test-heldout", 100):
            styles.add((e["domain"], e["style"]))
            schema = datagen.schema(e["domain"])
            self.assertEqual(list(e["note"]), list(schema["properties"]), e)  # schema order, all present
            self.assertEqual(evaluate.schema_errors(e["note"], schema), [], e)
            # every stated fact is in the transcript (a resolved date comes from the visit date)
            self.assertEqual(facts.fact_scores(e["note"], e["note"], e["transcript"])["invented"], 0)
            nulls += sum(v is None for v in e["note"].values())
            corrections += any(c.split("{wrong}")[1].split("{right}")[0] in e["transcript"]
                               for fam in PH.FAMILIES.values() for c in fam["corr"])
            fu = e["note"].get("follow_up", e["note"].get("next_review"))
            if isinstance(fu, str) and fu.startswith("in "):
                rel_said += 1  # said so (fillers may sit between its words: "in er, 2 weeks")
                self.assertTrue(set(fu.split()) <= set(e["transcript"].replace(",", " ").replace(".", " ").split()), (fu, e))
                self.assertNotIn("visit_date", e)
            elif isinstance(fu, str) and e.get("visit_date") and fu not in e["transcript"] and \
                    any(f" in {w}" in e["transcript"] for w in ("a week", "two", "three", "1", "2", "3", "5", "10")):
                rel_resolved += 1
        self.assertEqual(len(styles), 8)  # every domain in both styles
        self.assertGreater(nulls, 300)
        self.assertGreater(corrections, 60)
        self.assertGreater(rel_said, 20)
        self.assertGreater(rel_resolved, 10)
        soap = datagen.schema("soap")
        self.assertGreater(len(evaluate.schema_errors({"subjective": 1, "follow_up": "2026-02-30"}, soap)), 5)
        fu = soap["properties"]["follow_up"]
        for ok in ("2026-02-28", "in two weeks", None):
            self.assertEqual(evaluate.schema_errors(ok, fu), [], ok)
        for bad in ("2026-02-30", " in two weeks", "", 3):
            self.assertNotEqual(evaluate.schema_errors(bad, fu), [], bad)
        self.assertNotEqual(evaluate.schema_errors(None, {"type": "string"}), [])
        self.assertEqual(evaluate.schema_errors(None, datagen.schema("finance")["properties"]["risk_profile"]), [])
        self.assertNotEqual(evaluate.schema_errors("null", datagen.schema("finance")["properties"]["risk_profile"]), [])
        self.assertEqual(evaluate.hallucinated({"d": "2026-03-04"}, "on 4/3/2026"), [])
        self.assertEqual(evaluate.hallucinated({"d": "2026-03-04"}, "the 4th of March 2026"), [])
        self.assertEqual(evaluate.hallucinated({"d": "2026-03-05"}, "the 4th of March 2026"), ["5"])

    def test_corrections_carry_the_corrected_value(self):
        seen = 0
        for e in datagen.split("train", 400):
            for fam in PH.FAMILIES.values():
                for c in fam["corr"]:
                    cue = c.split("{wrong}")[1].split("{right}")[0]
                    for line in e["transcript"].split(cue)[1:]:
                        right = line.split()[0].strip(".,%") if line.split() else ""
                        if not right[:1].isdigit():  # "I mean" is a filler too
                            continue
                        seen += 1
                        self.assertIn(right, datagen.note_json(e["note"]), (cue, e))
        self.assertGreater(seen, 50)

    def test_heldout_families_never_in_training(self):
        for a, b in ((LX.TRAIN, LX.HELDOUT), (PH.TRAIN, PH.HELDOUT), (TK.TRAIN, TK.HELDOUT)):
            self.assertEqual(set(a), set(b))
            for k in a:
                if k == "speakers":
                    continue
                flat = lambda xs: {x if isinstance(x, str) else x[0] if isinstance(x[1], list) else x[1] for x in xs}
                self.assertEqual(flat(a[k]) & flat(b[k]), set(), k)
        train_out = [e["transcript"] + "\n" + datagen.note_json(e["note"]) for s in ("train", "validation", "test")
                     for e in datagen.split(s, 300, "mixed", "mixed")]
        blob = "\n".join(train_out)  # what training sees besides the templates' fixed instructions
        words = set(blob.replace(",", " ").replace(".", " ").split())
        for k in ("first", "last"):
            for n in LX.HELDOUT[k]:
                self.assertFalse(n in words, (k, n))
        for k in ("symptoms", "findings", "diagnoses", "plans", "matters", "advice", "steps", "locations",
                  "hr_actions", "goals", "holdings", "recs"):
            for x in LX.HELDOUT[k]:
                self.assertFalse(x in blob, (k, x))
        for m, _ in LX.HELDOUT["meds"]:
            self.assertFalse(m in words, m)
        for _, what in LX.HELDOUT["incidents"]:
            self.assertFalse(what in blob, what)
        # Every held-out sentence template differs from every training one, and its longest literal part, when
        # it is distinctive (12+ characters), never occurs in training output.
        import re as _re
        checked = total = 0
        for k, v in list(PH.HELDOUT.items()) + list(TK.HELDOUT.items()):
            if k in ("speakers", "topics") or k.startswith("history"):
                continue
            for tmpl in v:
                total += 1
                self.assertNotIn(tmpl, PH.TRAIN.get(k, []) + TK.TRAIN.get(k, []))
                part = max(_re.split(r"\{\w+\}", tmpl), key=len).strip(" ,.")
                if len(part) >= 12:
                    checked += 1
                    self.assertFalse(part in blob, (k, tmpl))
        self.assertGreater(checked, total // 2)
        for pairs in PH.HELDOUT["speakers"].values():
            for who in (w for pair in pairs for w in pair):
                self.assertFalse("\n" + who + ":" in blob or blob.startswith(who + ":"), who)
        # and the held-out split does use them
        held = "\n".join(e["transcript"] for e in datagen.split("test-heldout", 100))
        self.assertTrue(any(n in held for n in LX.HELDOUT["last"]))

    def test_training_family_is_diverse(self):
        # Compositional phrasings: many sentence skeletons per fact, where the earlier fixed templates gave 3-9
        # (docs/training.md, "A more diverse training family"); the held-out family's frames stay mostly unseen.
        import datagen_stats
        m = datagen_stats.measure(datagen, 1000, 200)
        self.assertGreaterEqual(m["skeletons_median_field"], 50, m)
        self.assertGreaterEqual(m["skeletons_min_field"], 10, m)
        self.assertGreaterEqual(m["skeleton_fourgrams_per_1000_words"], 80, m)
        self.assertLessEqual(m["heldout_frames_seen"], 0.3, m)
        # every composed template states every slot of its fact (the transcript holds the fact)
        import re as _re
        slots = lambda t: {x.lower() for x in _re.findall(r"\{(\w+)\}", t)}
        for k, cores in CP.CORES.items():
            want = set().union(*(slots(t) for t in PH.TRAIN[k]))
            for t in cores:
                self.assertEqual(slots(t), want, (k, t))
        for k, variants in CP.SPLIT.items():
            want = set().union(*(slots(t) for t in PH.TRAIN[k]))
            for first, _, seconds in variants:
                for second in seconds:
                    self.assertEqual(slots(first) | slots(second), want, (k, first, second))

    def test_open_vocabulary_content(self):
        # A share of the free-text values is made up from parts: no list holds them, so they can only be copied.
        listed = {x for k in ("symptoms", "diagnoses", "plans", "matters", "advice", "steps", "locations",
                              "hr_actions", "goals", "holdings", "recs", "findings", "instruct")
                  for x in LX.TRAIN[k]} | {w for _, w in LX.TRAIN["incidents"]}
        fields = {"soap": ("assessment",), "legal": ("matter", "instructions"), "hr": ("location", "actions_taken"),
                  "finance": ("recommendations",)}
        n = unlisted = 0
        for e in datagen.split("train", 400, "mixed", "mixed"):
            for f in fields[e["domain"]]:
                v = e["note"][f]
                for x in (v if isinstance(v, list) else [v] if v else []):
                    n += 1
                    unlisted += x not in listed
        self.assertGreater(unlisted / n, 0.3, (unlisted, n))
        import random
        r = random.Random(7)
        for k in OP.GEN:
            for _ in range(300):
                p = OP.phrase(r, k)
                self.assertFalse(OP.held(p), (k, p))
                self.assertFalse(", " in p or "; " in p or p[-1] in ".,;?!", (k, p))
        for _ in range(300):
            cat, what = OP.incident(r)
            self.assertIn(cat, {c for c, _ in LX.TRAIN["incidents"]})
            self.assertFalse(OP.held(what), what)

    def test_composed_phrasings_never_the_heldout_ones(self):
        # Stricter than test_heldout_families_never_in_training for what datagen_compose adds: no composed part
        # holds a held-out template's literal part of 12+ characters in any case, no composed core is a held-out
        # template up to case and punctuation, and the training output holds no such part of 15+ characters in
        # any case either.
        import re as _re
        parts = set()
        held_norm = set()
        norm = lambda t: " ".join(_re.sub(r"\{\w+\}", "{}", t).lower().replace(",", " ").replace(".", " ")
                                  .replace("?", " ").split())
        for k, v in list(PH.HELDOUT.items()) + list(TK.HELDOUT.items()):
            if k in ("speakers", "topics") or k.startswith("history"):
                continue
            for tmpl in v:
                held_norm.add(norm(tmpl))
                for part in _re.split(r"\{\w+\}", tmpl):
                    if len(part.strip(" ,.?")) >= 12:
                        parts.add(part.strip(" ,.?").lower())
        composed = []
        walk = lambda x: composed.append(x) if isinstance(x, str) else \
            [walk(y) for y in (x.values() if isinstance(x, dict) else x)]
        for name in ("OPEN", "D_OPEN", "TAIL", "CORES", "ASK", "PROPOSE", "CONFIRM", "YES", "ECHO", "SPLIT"):
            walk(getattr(CP, name))
        for t in composed:
            self.assertNotIn(norm(t), held_norm, t)
            for p in parts:
                self.assertNotIn(p, t.lower(), t)
        blob = "\n".join(e["transcript"] for e in datagen.split("train", 600, "mixed", "mixed")).lower()
        for p in parts:  # 15+ here: "And there was ..." (an opener and a training template) is plain English
            self.assertFalse(len(p) >= 15 and p in blob, p)

    def test_medium_conversations_fit_the_training_sequence(self):
        # 1,024 tokens of prompt, transcript and note: the training text is held to datagen.MEDIUM_BUDGET
        # estimated tokens (filler turns dropped)
        exs = datagen.split("train", 300, "conversation", "medium")
        self.assertLessEqual(max(datagen.est_tokens(datagen.train_text(e)) for e in exs), datagen.MEDIUM_BUDGET)
        self.assertLessEqual(max(e["words"] for e in exs), 600)
        self.assertGreaterEqual(sorted(e["words"] for e in exs)[150], 300)  # the median stays near 350

    def test_long_consultations(self):
        exs = datagen.split("test-long", 12)
        self.assertTrue(all(e["style"] == "conversation" and e["family"] == "heldout" for e in exs))
        w = [e["words"] for e in exs]
        self.assertGreaterEqual(min(w), 900)
        self.assertLessEqual(max(w), 5500)

    def test_fact_metrics_by_hand(self):
        ref = {"a": "heart rate 88, chest clear", "b": None, "c": [{"n": "x", "d": "5 mg"}], "e": True}
        hyp = {"a": "heart rate 118, chest clear", "b": "Zed", "c": [{"n": "x", "d": None}], "e": True}
        s = facts.fact_scores(hyp, ref, "heart rate 88. chest clear. x. true")
        # hyp facts: a:"heart rate 118", a:"chest clear", b:"zed", c[].n:"x", e:"true" -> 3 match
        self.assertEqual((s["tp"], s["n_hyp"], s["n_ref"]), (3, 5, 5))
        self.assertEqual(s["invented"], 2)  # 118 and Zed are not in the transcript
        self.assertEqual(s["invented_paths"], ["/a", "/b"])
        self.assertEqual(sorted(s["abst"]), sorted([(False, False), (True, False), (False, False), (False, True),
                                                    (False, False)]))
        m = facts.summarise([s])
        self.assertAlmostEqual(m["fact_precision"], 3 / 5)
        self.assertAlmostEqual(m["abstention_acc"], 3 / 5)
        self.assertAlmostEqual(m["null_recall"], 0.0)
        self.assertAlmostEqual(m["false_null"], 1 / 4)
        bad = facts.fact_scores(None, ref, "")
        self.assertEqual((bad["tp"], bad["n_hyp"]), (0, 0))
        self.assertTrue(all(r != h for r, h in bad["abst"]))

    def test_prompt_is_the_products(self):
        # apps/scribe/note.cpp (note_user_turn) builds: description, "\n\nVisit date: YYYY-MM-DD" when given,
        # "\n\nTranscript:\n" + transcript + "\n\nAnswer with the JSON note only." as the user turn of the
        # chat format (ChatML for our tokenizer).
        src = open(os.path.join(HERE, "..", "..", "apps", "scribe", "note.cpp")).read()
        self.assertIn('head += "\\n\\nVisit date: " + visit_date;', src)
        self.assertIn('return head + "\\n\\nTranscript:\\n" + transcript + "\\n\\nAnswer with the JSON note only.";', src)
        e = datagen.example(3)
        self.assertTrue(datagen.prompt_text(e).startswith("<|im_start|>user\n" + datagen.schema(e["domain"])["description"]))
        e = dict(e, visit_date="2026-12-06", transcript="T.")
        self.assertEqual(datagen.user_text(e), datagen.schema(e["domain"])["description"] +
                         "\n\nVisit date: 2026-12-06\n\nTranscript:\nT.\n\nAnswer with the JSON note only.")


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


FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures", "models")
SOTTO = os.environ.get("SOTTO_BIN", os.path.join(HERE, "..", "..", "build", "sotto"))


def _fixture_logits(path):
    import numpy as np
    import ggufw
    _, T = ggufw.read(path)
    toks = np.frombuffer(T["tokens"][2], "<i4").tolist()
    return toks, torch.from_numpy(np.frombuffer(T["logits"][2], "<f4").reshape(len(toks), -1).astype("float64"))


class GgufBase(unittest.TestCase):
    """Foreign bases (tools/train/base.py): the committed fixture GGUFs read back, LoRA on them, the merged export."""

    def test_fixture_read_back(self):
        # every fixture model: the config and the weights equal what tools/ref/make_fixtures.py + export.py wrote
        # (matrices: the exact dequantized values of quants.encode of the original weights, so f32 is exact and
        # the quantized types are within their rounding; Gemma norms stored as 1 + w in f32 within 1.2e-7), and
        # the reference forward on them gives the fixture's reference logits
        import numpy as np
        import base as B
        import make_fixtures as mf
        import quants
        tol_q = {"f32": 1e-7, "f16": 1e-3, "bf16": 8e-3, "q8_0": 1e-2, "q4_0": 0.15, "q4_k": 0.15}
        for k, (name, cfg) in enumerate(mf.CONFIGS.items()):
            W = mf.random_weights(cfg, 1000 + k)
            for t in mf.TYPES[name]:
                path = os.path.join(FIXTURES, f"{name}-{t}.gguf")
                c, R, extra = B.load_gguf(path)
                for key in ("arch", "hidden_size", "num_hidden_layers", "intermediate_size", "num_attention_heads",
                            "num_key_value_heads", "head_dim", "vocab_size", "rope_theta", "sliding_window"):
                    self.assertEqual(c.get(key), cfg.get(key), (name, t, key))
                self.assertAlmostEqual(c["rms_norm_eps"], cfg["rms_norm_eps"], delta=1e-12)
                self.assertEqual(c["tie"], bool(cfg.get("tie")), (name, t))
                if cfg.get("rope_scaling"):
                    self.assertEqual(c["rope_freq_factors"], ref.llama3_rope_factors(cfg).tolist())
                self.assertEqual(set(R), set(W), (name, t))
                for n, w in W.items():
                    got = R[n]
                    if w.dim() == 2:
                        want = torch.from_numpy(quants.encode(w.float().numpy(), t)[1].astype("float64"))
                        self.assertTrue(torch.equal(got, want), (name, t, n))
                        self.assertLessEqual((got - w).abs().max().item(), tol_q[t] * w.abs().max().item())
                    else:
                        err = (got - w.float().double()).abs().max().item()
                        self.assertLessEqual(err, 1.2e-7 if cfg["arch"] == "gemma3" else 0.0, (name, t, n))
                toks, want = _fixture_logits(path.replace(".gguf", ".ref.gguf"))
                got = ref.forward(c, R, toks)
                self.assertLess((got - want).abs().max().item(), 1e-6 * want.abs().max().item(), (name, t))
                self.assertTrue(any(e[0] == "tokenizer.ggml.tokens" for e in extra))

    def test_export_round_trip(self):
        # read -> base.export (f32) -> read: the same config, weights and tokenizer metadata bytes
        import tempfile
        import base as B
        import ggufw
        with tempfile.TemporaryDirectory() as d:
            for name in ("llama32-q4_0", "gemma3-bf16", "qwen25-k-q4_k"):
                src = os.path.join(FIXTURES, name + ".gguf")
                c, R, extra = B.load_gguf(src)
                out = os.path.join(d, name + ".gguf")
                B.export(c, R, extra, "f32", out)
                c2, R2, extra2 = B.load_gguf(out)
                self.assertEqual(c2, c, name)
                self.assertEqual(extra2, extra, name)
                for n in R:
                    self.assertTrue(torch.equal(R2[n], R[n]), (name, n))
                raw_a, raw_b = {}, {}
                ggufw.read(src, raw_a), ggufw.read(out, raw_b)
                tok_a = {k: v for k, v in raw_a.items() if k.startswith("tokenizer.")}
                self.assertEqual({k: v for k, v in raw_b.items() if k.startswith("tokenizer.")}, tok_a)

    def test_rejects_unsupported(self):
        import tempfile
        import base as B
        import ggufw
        with tempfile.TemporaryDirectory() as d:
            g = ggufw.Writer()
            g.string("general.architecture", "phi3")
            g.write(os.path.join(d, "x.gguf"))
            with self.assertRaisesRegex(ValueError, "architecture 'phi3' is not supported"):
                B.load_gguf(os.path.join(d, "x.gguf"))
            with self.assertRaisesRegex(ValueError, "no config.json"):
                B.load_hf(d)


def _reference_greedy(cfg, W, ids, n, eog):
    out, margins = list(ids), []
    for _ in range(n):
        logits = ref.forward(cfg, W, out)[-1]
        top = torch.topk(logits, 2).values
        margins.append(float(top[0] - top[1]))
        nxt = int(logits.argmax())
        if nxt in eog:
            break
        out.append(nxt)
    return out[len(ids):], margins


@unittest.skipUnless(os.path.exists(SOTTO), f"no engine binary at {SOTTO} (set SOTTO_BIN)")
class LoraForeignBase(unittest.TestCase):
    """train.py lora --base-gguf / --base-hf end to end on the fixture models (engine tokenizer, export, run)."""

    USER = "Patient Ana Diaz, 61, reports a dry cough for 5 days."

    def _data(self, d):
        # short {"prompt", "response"} pairs: the fixtures' byte vocabularies and 256-token context need them
        data = os.path.join(d, "data")
        os.makedirs(data)
        names = ["Ana Diaz", "Tom Reed", "Li Wei", "Sara Khan", "Omar Ali", "Eva Berg", "Jon Park", "Mia Rossi"]
        issues = ["a dry cough", "back pain", "a rash", "headaches"]
        for split, rng in (("train", range(8)), ("validation", range(8, 10))):
            with open(os.path.join(data, split + ".jsonl"), "w") as f:
                for i in rng:
                    name, age, issue = names[i % 8], 30 + 7 * i, issues[i % 4]
                    f.write(json.dumps({"prompt": f"Patient {name}, {age}, reports {issue} for {i + 2} days.",
                                        "response": json.dumps({"name": name, "age": age, "complaint": issue})}) + "\n")
        return data

    def _lora(self, d, data, base_args, name, steps=20):
        import train
        out = os.path.join(d, name)
        losses = train.main(["lora"] + base_args + ["--data", data, "--out", out, "--steps", str(steps),
                             "--batch", "2", "--seq", "200", "--lr", "2e-2", "--warmup", "2", "--rank", "4",
                             "--alpha", "8", "--eval-every", "1000", "--export", "f32,q8_0", "--sotto", SOTTO])
        return out, losses

    def _check_merged(self, out, base_extra, name):
        # the merged f32 export: tokenizer metadata equal to the base's; the engine's greedy output equals the
        # greedy tokens of the float64 reference forward on the stored weights (compared up to a near-tie);
        # the q8_0 export loads and generates
        import subprocess
        import base as B
        c, W, extra = B.load_gguf(os.path.join(out, "merged-f32.gguf"))
        self.assertEqual([e for e in extra if e[0].startswith("tokenizer.")],
                         [e for e in base_extra if e[0].startswith("tokenizer.")], name)
        etok = B.EngineTokenizer(SOTTO, extra)
        user = self.USER
        n_new = 16
        runs = {}
        for dt in ("f32", "q8_0"):
            r = subprocess.run([SOTTO, "generate", "-m", os.path.join(out, f"merged-{dt}.gguf"), "-p", user, "--chat",
                                "-n", str(n_new), "--temp", "0", "--seed", "1", "-q", "-t", "1", "-c", "256"],
                               capture_output=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            runs[dt] = r.stdout[:-1] if r.stdout.endswith(b"\n") else r.stdout
        ids = etok.encode_many([user], chat=etok.chat)[0]
        want, margins = _reference_greedy(c, W, ids, n_new, etok.eog)
        tie = next((i for i, m in enumerate(margins) if m < 1e-4), None)
        n = len(want) if tie is None else tie
        print(f"{name}: engine {runs['f32']!r}, reference {etok.decode_bytes(want)!r} ({n} tokens compared)")
        self.assertGreaterEqual(n, 4, (name, margins))
        self.assertTrue(runs["f32"].startswith(etok.decode_bytes(want[:n])), (name, runs["f32"], want))
        if tie is None:
            self.assertEqual(runs["f32"], etok.decode_bytes(want), name)
        return c, W

    def test_lora_gguf_bases(self):
        import tempfile
        import base as B
        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as d:
            data = self._data(d)
            for name in ("llama32-q8_0", "smollm2-f32", "qwen25-f16", "gemma3-q4_0"):
                src = os.path.join(FIXTURES, name + ".gguf")
                out, losses = self._lora(d, data, ["--base-gguf", src], name)
                first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
                print(f"{name}: loss first-5 {first:.3f} last-5 {last:.3f}")
                self.assertLess(last, 0.8 * first, name)
                _, _, base_extra = B.load_gguf(src)
                c, W = self._check_merged(out, base_extra, name)
                _, R, _ = B.load_gguf(src)
                moved = max((W[k] - R[k]).abs().max().item() for k in W if "q_proj.weight" in k)
                self.assertGreater(moved, 1e-3, name)  # the adapters were merged into the weights


QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")


def _hf_dir(d, name):
    """A Hugging Face directory (config.json, model.safetensors with a BF16 tensor, tokenizer.json) holding a
    fixture model's weights and vocabulary."""
    import base as B
    import ggufw
    import make_fixtures as mf
    import safetensors
    fc = mf.CONFIGS[name.rsplit("-", 1)[0]]
    c, R, extra = B.load_gguf(os.path.join(FIXTURES, name + ".gguf"))
    out = os.path.join(d, "hf-" + name)
    os.makedirs(out)
    conf = {k: c[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                              "num_key_value_heads", "head_dim", "rms_norm_eps", "rope_theta", "vocab_size",
                              "max_position_embeddings")}
    conf.update(model_type={"gemma3": "gemma3_text"}.get(c["arch"], c["arch"]), tie_word_embeddings=c["tie"],
                _name_or_path=name)
    for k in ("rope_scaling", "query_pre_attn_scalar", "sliding_window", "sliding_window_pattern",
              "rope_local_base_freq"):
        if k in fc:
            conf[k] = fc[k]
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(conf, f)
    safetensors.write(os.path.join(out, "model.safetensors"), {k: v.float().numpy() for k, v in R.items()},
                      bf16={"model.layers.0.mlp.up_proj.weight"})
    g = ggufw.Writer()
    g.kv.extend(extra)
    g.write(os.path.join(out, "t.gguf"))
    kv, _ = ggufw.read(os.path.join(out, "t.gguf"))
    os.remove(os.path.join(out, "t.gguf"))
    toks, types = kv["tokenizer.ggml.tokens"], kv["tokenizer.ggml.token_type"]
    spm = kv["tokenizer.ggml.model"] == "llama"
    doc = {"model": {"type": "BPE", "byte_fallback": spm, "vocab": {t: i for i, t in enumerate(toks) if types[i] != 3},
                     "merges": []},
           "added_tokens": [{"id": i, "content": t, "special": True} for i, t in enumerate(toks) if types[i] == 3]}
    if spm:
        doc["model"]["unk_token"] = "<unk>"
    else:
        doc["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
        doc["normalizer"] = {"type": "NFC"}
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)
    return out, c, R


class HfBase(unittest.TestCase):
    def test_hf_read(self):
        # config.json + safetensors read into the same config and weights as the GGUF they were made from
        import tempfile
        import base as B
        with tempfile.TemporaryDirectory() as d:
            for name in ("llama32-f32", "qwen25-f32", "gemma3-f32"):
                path, c, R = _hf_dir(d, name)
                c2, W, kv = B.load_hf(path)
                self.assertEqual(set(W), set(R), name)
                for k in R:
                    tol = 8e-3 * R[k].abs().max().item() if k == "model.layers.0.mlp.up_proj.weight" else 0.0
                    self.assertLessEqual((W[k] - R[k]).abs().max().item(), tol, (name, k))
                toks = [1, 7, 100, 3, 250, 9]
                a, b = ref.forward(c, R, toks), ref.forward(c2, {k: v for k, v in R.items()}, toks)
                self.assertLess((a - b).abs().max().item(), 1e-9 * a.abs().max().item(), name)
                self.assertEqual(kv[0][0], "tokenizer.ggml.model")


@unittest.skipUnless(os.path.exists(SOTTO), f"no engine binary at {SOTTO} (set SOTTO_BIN)")
class HfTokenizerAndLora(LoraForeignBase):
    def test_tokenizer_json_metadata_equals_engine(self):
        # the GGUF tokenizer metadata built from tokenizer.json tokenizes like the engine's own tokenizer.json
        # reader (sotto tokenize --tokenizer-json), raw and through the chat template
        import subprocess
        import tempfile
        import base as B
        texts = ["Hello world", "naïve café — 12,345 mg\n\n  x", "<|im_start|>user\nhi<|im_end|>",
                 "<start_of_turn>model\nok<end_of_turn>", "it's  we'll\t\r\n"]
        with tempfile.TemporaryDirectory() as d:
            for name in ("qwen25-f32", "gemma3-f32"):
                path, c, _ = _hf_dir(d, name)
                etok = B.EngineTokenizer(SOTTO, B.load_hf(path)[2])
                for chat in (False, True):
                    got = etok.encode_many(texts, chat=chat)
                    r = subprocess.run([SOTTO, "tokenize", "--tokenizer-json", os.path.join(path, "tokenizer.json"),
                                        "--jsonl"] + (["--chat"] if chat else []),
                                       input="".join(json.dumps(t) + "\n" for t in texts).encode(), capture_output=True)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(got, [json.loads(x) for x in r.stdout.decode().splitlines()], (name, chat))

    def test_tokenize_bad_input(self):
        # one-line errors, exit status 1 (bad input) or 2 (usage)
        import subprocess
        m = os.path.join(FIXTURES, "qwen25-f32.gguf")
        for args, stdin, rc in ((["-m", m, "--jsonl"], b'"ok"\n[1]\n', 1), (["-m", m, "--jsonl"], b"x\n", 1),
                                (["-m", m + ".missing"], b"a", 1), (["-p", "a"], b"", 2),
                                (["-m", m, "--chat", "--no-bos"], b"a", 2),
                                (["-m", os.path.join(FIXTURES, "qwen25-f32.ref.gguf")], b"a", 1)):
            r = subprocess.run([SOTTO, "tokenize"] + args, input=stdin, capture_output=True, timeout=30)
            self.assertEqual(r.returncode, rc, (args, r.stderr))
            self.assertEqual(len(r.stderr.decode().strip().splitlines()), 1, (args, r.stderr))

    def test_lora_hf_base(self):
        import tempfile
        import base as B
        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as d:
            data = self._data(d)
            path, _, _ = _hf_dir(d, "qwen25-f32")
            out, losses = self._lora(d, data, ["--base-hf", path], "hf", steps=20)
            self.assertLess(sum(losses[-5:]), 0.8 * sum(losses[:5]))
            self._check_merged(out, B.load_hf(path)[2], "hf-qwen25")

    test_lora_gguf_bases = None  # inherited helpers only


class Schedule(unittest.TestCase):
    def test_time_schedule(self):
        import train
        self.assertAlmostEqual(train.lr_at(0, 100, 1.0, 10), 0.1)
        self.assertAlmostEqual(train.lr_at(10, 100, 1.0, 10), 1.0)
        self.assertAlmostEqual(train.lr_at(100, 100, 1.0, 10), 0.1)
        self.assertAlmostEqual(train.lr_at(10, 100, 1.0, 10, time_frac=1.0), 0.1)  # time is up: annealed
        self.assertAlmostEqual(train.lr_at(55, 100, 1.0, 10, time_frac=0.2), 0.55)  # steps further along
        self.assertAlmostEqual(train.lr_at(10, 100, 1.0, 10, time_frac=0.5), 0.55)


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
