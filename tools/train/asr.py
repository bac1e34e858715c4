"""asr.py — the small speech model of the scribe: synthetic speech, tokenizer, training, GGUF export, WER.

  synth:  sentences of the dictation domain (tools/train/datagen.py: dictation sentences with fillers, conversation
          turns without speaker labels; one or two per utterance) spoken by espeak-ng with random voices, speeds and
          pitches, resampled to 16 kHz; OUT/{audio.npy (int16, concatenated), offsets.npy, texts.json}.
  train:  a Moonshine (asr_model.py) from scratch on a synth set with noise (white, random SNR 0-40 dB), gain and
          silence-padding augmentation, length-bucketed batches, and a training-only CTC head on the encoder
          (hybrid CTC/attention loss); SentencePiece-style BPE tokenizer trained on the texts (byte fallback).
  export: GGUF (tools/ref/asr_gguf.py) in f32 / f16 / q8_0 with the tokenizer as a `llama` (SentencePiece) vocabulary.
  wer:    word error rate of `sotto transcribe` on a synth set (lowercased words without punctuation).

Usage (tools/train/gpu-asr.sh runs them all on the GPU machine):
  python3 tools/train/asr.py synth OUT --n N --split train|test [--espeak BIN] [--jobs J]
  python3 tools/train/asr.py train --data DIR --out DIR [--steps N --batch B --device cuda --max-seconds S]
  python3 tools/train/asr.py export --ckpt CKPT.pt --dtype q8_0 --out M.gguf
  python3 tools/train/asr.py wer --data DIR --gguf M.gguf --sotto build/sotto [--n N --jobs J]
"""
import argparse
import collections
import io
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ref"))
import asr_model as A  # noqa: E402
import datagen  # noqa: E402

LANGS = ["en-us", "en", "en-gb-x-rp", "en-029", "en-gb-scotland"]
VARIANTS = ["", "+m1", "+m2", "+m3", "+m4", "+m5", "+m6", "+m7", "+f1", "+f2", "+f3", "+f4"]
SEED_BASE = {"train": 0, "test": 20_000_000, "dictation": 30_000_000}
SPECIALS = ["<unk>", "<s>", "</s>"]
SP = "\u2581"


# ---- data
def utterance(seed):
    """(sentences, voice, speed, pitch, pauses in seconds between them); deterministic in the seed. One to four
    neighbouring sentences of a dictation or turns of a conversation, spoken one by one and joined by pauses of
    0.08-0.7 s: phrases as the VAD (closes after 0.4 s of silence) cuts a whole dictation, which can run
    several sentences when the speaker pauses briefly."""
    r = random.Random(seed)
    _, dict_s, conv = datagen.GEN[datagen.DOMAINS[seed % 4]](r)
    rate = r.choice([0.0, 0.03, 0.08])
    if r.random() < 0.6:
        sents = [datagen.disfluent(r, s, rate) for s in dict_s]
    else:
        sents = [datagen.disfluent(r, t, rate) for _, t in conv]
    k = min(len(sents), r.choice([1, 1, 2, 2, 3, 4]))
    i = r.randrange(0, len(sents) - k + 1)
    pauses = [round(r.uniform(0.08, 0.7), 3) for _ in range(k - 1)]
    return sents[i:i + k], r.choice(LANGS) + r.choice(VARIANTS), r.randint(125, 195), r.randint(25, 75), pauses


def utterance_text(u):
    return " ".join(u[0])


def espeak_16k(espeak, voice, speed, pitch, text):
    """espeak-ng -> float samples at 16 kHz."""
    wav = subprocess.run([espeak, "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", "--", text],
                         capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32)
    n = int(round(len(x) * 16000 / rate))  # band-limited resampling by FFT (the clip is short): ideal low-pass
    return np.fft.irfft(np.fft.rfft(x)[:n // 2 + 1], n) * (n / len(x))


def trim(x, thr=64.0):
    """Drops the leading and trailing samples quieter than thr (espeak-ng's own silence at the clip's ends)."""
    loud = np.flatnonzero(np.abs(x) > thr)
    return x[loud[0]:loud[-1] + 1] if len(loud) else x[:0]


def speak(args):
    """The utterance's sentences spoken one by one and joined by its pauses -> int16 samples at 16 kHz."""
    (sents, voice, speed, pitch, pauses), espeak = args
    parts = []
    for j, t in enumerate(sents):
        parts.append(trim(espeak_16k(espeak, voice, speed, pitch, t)))
        if j < len(pauses):
            parts.append(np.zeros(int(pauses[j] * 16000), np.float32))
    return np.clip(np.round(np.concatenate(parts)), -32768, 32767).astype(np.int16)


def cmd_synth(a):
    from multiprocessing import Pool
    utts = [utterance(SEED_BASE[a.split] + i) for i in range(a.n)]
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    with Pool(a.jobs) as p:
        clips = p.map(speak, [(u, a.espeak) for u in utts], chunksize=16)
    offsets = np.cumsum([0] + [len(c) for c in clips]).astype(np.int64)
    np.save(os.path.join(a.out, "audio.npy"), np.concatenate(clips))
    np.save(os.path.join(a.out, "offsets.npy"), offsets)
    with open(os.path.join(a.out, "texts.json"), "w") as f:
        json.dump([utterance_text(u) for u in utts], f)
    print(f"synth {a.split}: {a.n} utterances, {offsets[-1] / 16000 / 3600:.2f} h of audio, {time.time() - t0:.0f} s")


def load_set(d):
    audio = np.load(os.path.join(d, "audio.npy"))
    off = np.load(os.path.join(d, "offsets.npy"))
    with open(os.path.join(d, "texts.json")) as f:
        texts = json.load(f)
    return audio, off, texts


# ---- tokenizer: SentencePiece-style BPE (merges by rank; the GGUF scores are -rank so that the engine's
# score-ordered merging gives the same pieces), byte fallback for anything unseen
def train_tokenizer(texts, n_merges):
    words = collections.Counter()
    for t in texts:
        words.update(SP + w for w in t.split(" ") if w)
    chars = sorted({c for w in words for c in w})
    seqs = {tuple(w): c for w, c in words.items()}
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for s, c in seqs.items():
            for p in zip(s, s[1:]):
                pairs[p] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        j = best[0] + best[1]
        nxt = {}
        for s, c in seqs.items():
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(j)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            nxt[tuple(out)] = nxt.get(tuple(out), 0) + c
        seqs = nxt
    return {"chars": chars, "merges": [list(m) for m in merges]}


class SpmTok:
    def __init__(self, t):
        self.tokens = SPECIALS + ["<0x%02X>" % b for b in range(256)] + list(t["chars"])
        self.scores = [0.0] * len(self.tokens)
        self.types = [2, 3, 3] + [6] * 256 + [1] * len(t["chars"])
        self.rank = {}
        for r, (x, y) in enumerate(t["merges"]):
            self.rank[(x, y)] = r
            if x + y not in self.tokens:
                self.tokens.append(x + y)
                self.scores.append(-float(r + 1))
                self.types.append(1)
        self.id = {s: i for i, s in enumerate(self.tokens)}
        self.bos, self.eos = 1, 2

    def encode(self, text):
        out = []
        for w in text.split(" "):
            if not w:
                continue
            s = list(SP + w)
            while len(s) > 1:
                r, i = min((self.rank.get((s[i], s[i + 1]), 1 << 30), i) for i in range(len(s) - 1))
                if r == 1 << 30:
                    break
                s[i:i + 2] = [s[i] + s[i + 1]]
            for p in s:
                if p in self.id:
                    out.append(self.id[p])
                else:
                    out += [3 + b for b in p.encode()]
        return out

    def decode(self, ids):
        b = bytearray()
        for i in ids:
            t = self.tokens[i]
            if self.types[i] == 6:
                b.append(int(t[3:5], 16))
            elif self.types[i] == 1:
                b += t.replace(SP, " ").encode()
        return b.decode("utf-8", errors="replace").strip()

    def gguf_dict(self):
        return dict(tokens=self.tokens, types=self.types, scores=self.scores, bos=1, eos=2, unk=0)


# ---- continuing from an exported model
def weights_from_gguf(path):
    """HF-named float32 tensors of a Moonshine GGUF written by asr_gguf.export_moonshine (dequantized), and its
    token list: the inverse of the exporter's layout (docs/asr.md)."""
    import ggufw
    import quants
    kv, tensors = ggufw.read(path)

    def get(name):
        t, ne, raw = tensors[name]
        n = int(np.prod(ne))
        if t == ggufw.T_F32:
            x = np.frombuffer(raw, np.float32, n)
        elif t == ggufw.T_F16:
            x = np.frombuffer(raw, np.float16, n).astype(np.float32)
        else:
            x = quants.dq8_0(raw, n) if t == ggufw.T_Q8_0 else quants.dq4_0(raw, n)
        return torch.from_numpy(np.array(x, np.float32).reshape(list(reversed(ne))))

    def conv(name, k):  # stored [C_out, K, C_in] -> [C_out, C_in, K]
        w = get(name)
        return w.view(w.shape[0], k, -1).permute(0, 2, 1).contiguous()

    W = {}
    p = "model.encoder."
    W[p + "conv1.weight"] = conv("enc.conv1.weight", 127)
    for n in ("groupnorm.weight", "groupnorm.bias", "conv2.bias", "conv3.bias"):
        W[p + n] = get("enc." + n)
    W[p + "conv2.weight"], W[p + "conv3.weight"] = conv("enc.conv2.weight", 7), conv("enc.conv3.weight", 3)
    W[p + "layer_norm.weight"] = get("enc.output_norm.weight")
    attn = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "output": "o_proj"}
    for i in range(kv["moonshine.encoder.block_count"]):
        q, b = f"{p}layers.{i}.", f"enc.blk.{i}."
        W[q + "input_layernorm.weight"] = get(b + "attn_norm.weight")
        W[q + "post_attention_layernorm.weight"] = get(b + "ffn_norm.weight")
        for g, h in attn.items():
            W[f"{q}self_attn.{h}.weight"] = get(f"{b}attn_{g}.weight")
        for g, h in (("ffn_up", "fc1"), ("ffn_down", "fc2")):
            W[f"{q}mlp.{h}.weight"], W[f"{q}mlp.{h}.bias"] = get(b + g + ".weight"), get(b + g + ".bias")
    p = "model.decoder."
    W[p + "embed_tokens.weight"] = get("dec.token_embd.weight")
    W[p + "norm.weight"] = get("dec.output_norm.weight")
    for i in range(kv["moonshine.decoder.block_count"]):
        q, b = f"{p}layers.{i}.", f"dec.blk.{i}."
        W[q + "input_layernorm.weight"] = get(b + "attn_norm.weight")
        W[q + "post_attention_layernorm.weight"] = get(b + "cross_attn_norm.weight")
        W[q + "final_layernorm.weight"] = get(b + "ffn_norm.weight")
        for g, h in attn.items():
            W[f"{q}self_attn.{h}.weight"] = get(f"{b}attn_{g}.weight")
            W[f"{q}encoder_attn.{h}.weight"] = get(f"{b}cross_attn_{g}.weight")
        W[q + "mlp.fc1.weight"] = torch.cat([get(b + "ffn_up.weight"), get(b + "ffn_gate.weight")])
        W[q + "mlp.fc1.bias"] = torch.cat([get(b + "ffn_up.bias"), get(b + "ffn_gate.bias")])
        W[q + "mlp.fc2.weight"], W[q + "mlp.fc2.bias"] = get(b + "ffn_down.weight"), get(b + "ffn_down.bias")
    return W, kv["tokenizer.ggml.tokens"]


# ---- training
def cmd_train(a):
    dev = torch.device(a.device)
    torch.manual_seed(a.seed)
    audio, off, texts = load_set(a.data)
    tokd = train_tokenizer(texts, a.merges)
    tok = SpmTok(tokd)
    cfg = dict(name="sotto-asr", hidden_size=a.hidden, intermediate_size=4 * a.hidden,
               encoder_num_hidden_layers=a.enc_layers, decoder_num_hidden_layers=a.dec_layers,
               encoder_num_attention_heads=8, decoder_num_attention_heads=8, partial_rotary_factor=0.9,
               rope_theta=10000.0, vocab_size=(len(tok.tokens) + 63) // 64 * 64, tie_word_embeddings=True,
               max_position_embeddings=512, decoder_start_token_id=1, max_tokens_per_second=6.5)
    ids = [tok.encode(t) for t in texts]
    secs = np.diff(off) / 16000
    tps = np.array([len(i) for i in ids]) / secs
    print(f"asr: {len(texts)} utterances, {secs.sum() / 3600:.2f} h, vocab {len(tok.tokens)}, tokens/s mean "
          f"{tps.mean():.2f} max {tps.max():.2f}", flush=True)
    model = A.Moonshine(cfg)
    if a.init_ckpt:  # continue from a checkpoint of this tool (same data, so the same tokenizer)
        c = torch.load(a.init_ckpt, map_location="cpu")
        if c["tok"] != tokd or c["cfg"] != cfg:
            raise SystemExit(f"{a.init_ckpt}: its vocabulary or shape differs from this run's")
        model.load_state_dict(c["weights"])
        print(f"asr: initialised from {a.init_ckpt}", flush=True)
    elif a.init_gguf:  # continue from an exported model (same data, so the same tokenizer)
        W, toks = weights_from_gguf(a.init_gguf)
        if toks[:len(tok.tokens)] != tok.tokens:
            raise SystemExit(f"{a.init_gguf}: its vocabulary differs from the one trained on {a.data}")
        model.load_state_dict(W)
        print(f"asr: initialised from {a.init_gguf}", flush=True)
    model = model.to(dev)
    print(f"asr: {sum(p.numel() for p in model.parameters())} parameters", flush=True)
    # Training-only CTC head on the encoder (hybrid CTC/attention): it makes the encoder align with the text
    # early, before the decoder learns to lean on it; not exported.
    ctc = torch.nn.Linear(cfg["hidden_size"], cfg["vocab_size"]).to(dev) if a.ctc_weight > 0 else None
    audio_t = torch.from_numpy(audio)
    params = list(model.parameters()) + (list(ctc.parameters()) if ctc is not None else [])
    opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.98), weight_decay=0.05)
    order = np.argsort(secs[:len(texts) - min(256, len(texts) // 8)], kind="stable")  # for length-bucketed batches
    gen = torch.Generator().manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    log = open(os.path.join(a.out, "log.jsonl"), "w")
    n_val = min(256, len(texts) // 8)  # the last utterances are held out for the validation loss
    for step in range(a.steps):
        if a.max_seconds and time.time() - t0 > a.max_seconds:
            print(f"stopping at step {step}: --max-seconds reached", flush=True)
            break
        lr = a.lr * min(1.0, (step + 1) / a.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / a.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        # a batch of neighbours in length (little padding) from a random place of the length order
        at = int(torch.randint(0, len(order) - a.batch + 1, (1,), generator=gen))
        pick = order[at:at + a.batch].tolist()
        loss = batch_loss(model, pick, audio_t, off, ids, dev, gen, augment=True, ctc=ctc, ctc_weight=a.ctc_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        rec = {"step": step, "loss": loss.item(), "lr": lr}
        if (step + 1) % 250 == 0:
            with torch.no_grad():
                rec["val_loss"] = batch_loss(model, list(range(len(texts) - n_val, len(texts))), audio_t, off, ids,
                                             dev, gen, augment=False).item()
            print(f"step {step + 1} loss {loss.item():.4f} val {rec['val_loss']:.4f} {time.time() - t0:.0f}s",
                  flush=True)
        log.write(json.dumps(rec) + "\n")
    torch.save({"cfg": cfg, "tok": tokd, "weights": {k: v.cpu() for k, v in model.state_dict().items()}},
               os.path.join(a.out, "ckpt.pt"))


def batch_loss(model, pick, audio_t, off, ids, dev, gen, augment, ctc=None, ctc_weight=0.0):
    clips = []
    for i in pick:
        x = audio_t[off[i]:off[i + 1]].float() / 32768.0
        if augment:  # silence around the phrase as the VAD cuts it, gain
            pre, post = torch.randint(0, 4800, (2,), generator=gen).tolist()
            x = torch.cat([torch.zeros(pre), x, torch.zeros(post)]) * (0.3 + 1.2 * torch.rand(1, generator=gen))
        clips.append(x)
    n = max(len(c) for c in clips)
    audio = torch.zeros(len(clips), n)
    for r, c in enumerate(clips):
        audio[r, :len(c)] = c
    lens = torch.tensor([len(c) for c in clips])
    audio, lens = audio.to(dev), lens.to(dev)
    if augment:  # white noise at a random SNR (0-40 dB) over each clip's own length
        rms = (audio.pow(2).sum(1) / lens).sqrt()
        snr = torch.rand(len(clips), device=dev) * 40
        noise = torch.randn_like(audio) * (rms / 10 ** (snr / 20))[:, None]
        noise = noise * (torch.arange(n, device=dev)[None, :] < lens[:, None])
        audio = audio + noise * (torch.rand(len(clips), 1, device=dev) < 0.8)
    L = max(len(ids[i]) for i in pick) + 1
    x = torch.full((len(pick), L), 2, dtype=torch.long)
    y = torch.full((len(pick), L), -100, dtype=torch.long)
    for r, i in enumerate(pick):
        t = ids[i]
        x[r, 0] = 1
        x[r, 1:len(t) + 1] = torch.tensor(t, dtype=torch.long)
        y[r, :len(t)] = torch.tensor(t, dtype=torch.long)
        y[r, len(t)] = 2
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else torch.autocast("cpu", enabled=False)
    with ctx:
        enc, valid = model.encode(audio, lens)
        logits = model.decode(enc, valid, x.to(dev))
    loss = torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), y.to(dev).flatten())
    if ctc is None:
        return loss
    # CTC over the encoder frames, blank = 0 (<unk> never occurs in targets)
    lp = torch.log_softmax(ctc(enc.float()), -1).transpose(0, 1)  # [T, B, V]
    tgt = torch.cat([torch.tensor(ids[i], dtype=torch.long) for i in pick]).to(dev)
    tl = torch.tensor([len(ids[i]) for i in pick], device=dev)
    lc = torch.nn.functional.ctc_loss(lp, tgt, valid.sum(1), tl, blank=0, zero_infinity=True)
    return (1 - ctc_weight) * loss + ctc_weight * lc


# ---- export and WER
def cmd_export(a):
    import asr_gguf
    c = torch.load(a.ckpt, map_location="cpu")
    W = {k: v.double() for k, v in c["weights"].items()}
    asr_gguf.export_moonshine(c["cfg"], W, SpmTok(c["tok"]).gguf_dict(), a.out, a.dtype)
    print(f"wrote {a.out} ({a.dtype})")


def words(t):
    return re.findall(r"[a-z0-9%']+", t.lower())


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def cmd_wer(a):
    from concurrent.futures import ThreadPoolExecutor
    audio, off, texts = load_set(a.data)
    n = min(a.n, len(texts))
    tmp = tempfile.mkdtemp()

    def one(i):
        p = os.path.join(tmp, f"{i}.wav")
        with wave.open(p, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(audio[off[i]:off[i + 1]].tobytes())
        r = subprocess.run([a.sotto, "transcribe", "-m", a.gguf, "-t", "1", p], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"error: {r.stderr.strip()}", file=sys.stderr)
        return r.stdout.strip()

    with ThreadPoolExecutor(a.jobs) as pool:
        hyps = list(pool.map(one, range(n)))
    errs = sum(edit_distance(words(h), words(t)) for h, t in zip(hyps, texts))
    nref = sum(len(words(t)) for t in texts[:n])
    res = {"n": n, "wer": errs / nref, "ref_words": nref,
           "examples": [{"ref": t, "hyp": h} for t, h in list(zip(texts, hyps))[:10]]}
    print(f"WER {res['wer']:.4f} over {n} utterances ({nref} words)")
    for e in res["examples"][:5]:
        print(f"  ref: {e['ref']}\n  hyp: {e['hyp']}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


def dictation(seed):
    """(domain, text, voice, speed, pitch) of a whole held-out dictation, spoken in one espeak-ng call the way a
    user would record it (espeak-ng's own pauses; the engine's VAD cuts the phrases)."""
    r = random.Random(seed)
    dom = datagen.DOMAINS[seed % 4]
    _, dict_s, _ = datagen.GEN[dom](r)
    rate = r.choice([0.0, 0.03])
    text = " ".join(datagen.disfluent(r, s, rate) for s in dict_s)
    return dom, text, r.choice(LANGS) + r.choice(VARIANTS), r.randint(135, 175), r.randint(35, 65)


def cmd_dictation(a):
    """WER of `sotto transcribe` on whole held-out dictations, and how often `sotto note` on the recording writes
    the same note as `sotto note` on the true transcript."""
    from concurrent.futures import ThreadPoolExecutor
    tmp = tempfile.mkdtemp()

    def one(i):
        dom, text, voice, speed, pitch = dictation(SEED_BASE["dictation"] + i)
        p, tp = os.path.join(tmp, f"{i}.wav"), os.path.join(tmp, f"{i}.txt")
        x = np.clip(np.round(espeak_16k(a.espeak, voice, speed, pitch, text)), -32768, 32767).astype(np.int16)
        with wave.open(p, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(x.tobytes())
        with open(tp, "w") as f:
            f.write(text)
        r = subprocess.run([a.sotto, "transcribe", "-m", a.gguf, "-t", "1", p], capture_output=True, text=True)
        hyp = r.stdout.strip().replace("\n", " ")
        res = {"domain": dom, "voice": voice, "speed": speed, "ref": text, "hyp": hyp, "seconds": len(x) / 16000,
               "errors": edit_distance(words(hyp), words(text)), "words": len(words(text))}
        if a.notes:
            notes = []
            for src in (["--transcript", tp], [p, "--asr-model", a.gguf]):
                q = subprocess.run([a.sotto, "note", *src, "--template", dom, "--format", "json", "-q", "-t", "1"]
                                   + (["-m", a.note_model] if a.note_model else []), capture_output=True, text=True)
                notes.append(q.stdout.strip() if q.returncode == 0 else "error: " + q.stderr.strip())
            res["note_same"] = notes[0] == notes[1] and not notes[0].startswith("error")
            res["note_text"], res["note_speech"] = notes
        return res

    with ThreadPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(one, range(a.n)))
    errs, nref = sum(r["errors"] for r in rows), sum(r["words"] for r in rows)
    out = {"n": a.n, "wer": errs / nref, "ref_words": nref, "audio_seconds": sum(r["seconds"] for r in rows),
           "rows": rows}
    print(f"dictations: WER {out['wer']:.4f} over {a.n} whole dictations ({nref} words, "
          f"{out['audio_seconds'] / 60:.1f} min of speech)")
    if a.notes:
        out["notes_same"] = sum(r["note_same"] for r in rows)
        print(f"notes from the recording equal to notes from the true transcript: {out['notes_same']}/{a.n}")
    for r in sorted(rows, key=lambda r: -r["errors"])[:3]:
        print(f"  ref: {r['ref']}\n  hyp: {r['hyp']}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


def main(argv=None):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("synth")
    p.add_argument("out")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--split", default="train", choices=list(SEED_BASE))
    p.add_argument("--espeak", default="espeak-ng")
    p.add_argument("--jobs", type=int, default=os.cpu_count())
    p = sub.add_parser("train")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--enc-layers", type=int, default=4)
    p.add_argument("--dec-layers", type=int, default=4)
    p.add_argument("--merges", type=int, default=800)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--max-seconds", type=float, default=0)
    p.add_argument("--ctc-weight", type=float, default=0.3, help="weight of the training-only CTC loss (0 = off)")
    p.add_argument("--init-gguf", help="start from the weights of a GGUF this tool exported (dequantized)")
    p.add_argument("--init-ckpt", help="start from the weights of a checkpoint of this tool (exact)")
    p = sub.add_parser("export")
    p.add_argument("--ckpt", required=True)
    p.add_argument("--dtype", default="f16", choices=["f32", "f16", "q8_0"])
    p.add_argument("--out", required=True)
    p = sub.add_parser("wer")
    p.add_argument("--data", required=True)
    p.add_argument("--gguf", required=True)
    p.add_argument("--sotto", default="build/sotto")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--jobs", type=int, default=os.cpu_count())
    p.add_argument("--json")
    p = sub.add_parser("dictation")
    p.add_argument("--gguf", required=True)
    p.add_argument("--sotto", default="build/sotto")
    p.add_argument("--espeak", default="espeak-ng")
    p.add_argument("--n", type=int, default=40)
    p.add_argument("--notes", action="store_true", help="also compare the notes from speech and from the text")
    p.add_argument("--note-model", help="note model (default: the bundled one)")
    p.add_argument("--jobs", type=int, default=os.cpu_count())
    p.add_argument("--json")
    a = ap.parse_args(argv)
    return {"synth": cmd_synth, "train": cmd_train, "export": cmd_export, "wer": cmd_wer,
            "dictation": cmd_dictation}[a.cmd](a)


if __name__ == "__main__":
    main()
