"""train.py — pretraining from scratch, LoRA fine-tuning and GGUF export of the small decoders.

  pretrain: a model.Decoder from a JSON config (arch.py names: arch, hidden_size, ...; vocab_size may be
            "auto" = the tokenizer's vocabulary rounded up to a multiple of 64) on the synthetic corpus: batches
            of whole datagen.train_text examples (right-padded, cut at --seq tokens), next-token loss on the
            note only (--loss note) or on every token (--loss all), bf16 autocast on CUDA, AdamW, linear warmup then cosine decay to 10%, gradient clipping 1.0, checkpoint every --ckpt-every
            steps and at the end (OUT/ckpt.pt: cfg, weights, optimizer, step; --resume continues it); with
            --time-schedule the decay follows the elapsed fraction of --max-seconds when that is further along.
  lora:     low-rank adapters (rank/alpha) on q/k/v/o/gate/up/down of a base, trained on the same kind of
            data; the adapters are merged into the base weights and saved as a plain checkpoint. The base is
            this tool's checkpoint (--base, with --tokenizer), or any GGUF of llama / qwen2 / gemma3
            (--base-gguf) or a Hugging Face directory (--base-hf), read by base.py; those are tokenized with
            their own vocabulary by the engine (`sotto tokenize`, --sotto) and written back to GGUF
            (OUT/merged-TYPE.gguf for each --export type) with the base's tokenizer metadata.
  export:   a checkpoint to GGUF through tools/ref/export.py (f32, f16, q8_0, ...) with this project's
            tokenizer (tokenizer.Tokenizer.add_to_gguf) in place of export.py's placeholder vocabulary.

Every run appends one JSON line per logged step to OUT/log.jsonl ({"step", "loss", "lr"}).
Usage:
  /usr/bin/python3 tools/train/train.py pretrain --config C.json --data DIR --tokenizer T.json --out DIR
        [--steps N --batch B --seq T --lr LR --warmup N --ckpt-every N --device cpu|cuda --resume]
  /usr/bin/python3 tools/train/train.py lora --base CKPT.pt --data DIR --tokenizer T.json --out DIR
        [--rank 8 --alpha 16 --steps N ...]
  /usr/bin/python3 tools/train/train.py lora (--base-gguf M.gguf | --base-hf DIR) --data DIR --out DIR
        [--sotto build/sotto --export q8_0,f32 --rank 8 ...]
  /usr/bin/python3 tools/train/train.py export --ckpt CKPT.pt --tokenizer T.json --dtype f32|q8_0 --out M.gguf
"""
import argparse
import json
import math
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ref"))
import datagen  # noqa: E402
import export as gguf_export  # noqa: E402
import model as M  # noqa: E402
import tokenizer as tk  # noqa: E402


def load_config(path, tok):
    with open(path) as f:
        cfg = json.load(f)
    if cfg.get("vocab_size", "auto") == "auto":
        cfg["vocab_size"] = (tok.vocab_size + 63) // 64 * 64
    if cfg["vocab_size"] < tok.vocab_size:
        raise ValueError(f"{path}: vocab_size {cfg['vocab_size']} < tokenizer vocabulary {tok.vocab_size}")
    cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    return cfg


def load_examples(data_dir, split, tok, seq, loss="note"):
    """Tokenized examples of a split: (ids [<= seq + 1], first target index that counts in the loss).
    loss "note": only the assistant turn (the note and its end token) is learned; "all": every token."""
    out = []
    with open(os.path.join(data_dir, split + ".jsonl")) as f:
        for line in f:
            ex = json.loads(line)
            ids = tok.encode(datagen.train_text(ex))[:seq + 1]
            first = len(tok.encode(datagen.prompt_text(ex))) - 1 if loss == "note" else 0
            out.append((ids, first))
    return out


def batches(examples, batch, pad, gen):
    """Random batches of whole examples, right-padded: x [B, T], y [B, T] (-100 where no loss)."""
    while True:
        pick = torch.randint(0, len(examples), (batch,), generator=gen).tolist()
        T = max(len(examples[i][0]) for i in pick) - 1
        x = torch.full((batch, T), pad, dtype=torch.long)
        y = torch.full((batch, T), -100, dtype=torch.long)
        for r, i in enumerate(pick):
            ids, first = examples[i]
            t = torch.tensor(ids)
            x[r, :len(ids) - 1] = t[:-1]
            y[r, first:len(ids) - 1] = t[first + 1:]
        yield x, y


def lr_at(step, steps, lr, warmup, time_frac=0.0):
    """Linear warmup, then cosine decay to 10% by the last step, or (time_frac: the elapsed fraction of
    --max-seconds, with --time-schedule) by the time limit, whichever comes first."""
    if step < warmup:
        return lr * (step + 1) / warmup
    t = min(1.0, max((step - warmup) / max(1, steps - warmup), time_frac))
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


@torch.no_grad()
def eval_loss(model, examples, pad, dev, n=32):
    if not examples:
        return float("nan")
    g = torch.Generator().manual_seed(0)
    x, y = next(batches(examples, n, pad, g))
    with _autocast(dev):
        logits = model(x.to(dev))
    return torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), y.to(dev).flatten()).item()


def _autocast(dev):
    """bf16 autocast on CUDA (the weights and optimizer stay float32); nothing on the CPU."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if dev.type == "cuda" else torch.autocast("cpu", enabled=False)


def run_steps(model, params, a, train_s, val_s, pad, dev, out, opt=None, start=0, save=None):
    """The optimisation loop shared by pretrain and lora; returns the list of logged losses."""
    opt = opt or torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.95), weight_decay=a.wd)
    gen = torch.Generator().manual_seed(a.seed + start)
    it = batches(train_s, a.batch, pad, gen)
    losses = []
    t0 = time.time()
    with open(os.path.join(out, "log.jsonl"), "a") as log:
        for step in range(start, a.steps):
            if a.max_seconds and time.time() - t0 > a.max_seconds:
                print(f"stopping at step {step}: --max-seconds {a.max_seconds} reached", flush=True)
                if save:
                    save(step, opt)
                break
            frac = (time.time() - t0) / a.max_seconds if a.max_seconds and a.time_schedule else 0.0
            lr = lr_at(step, a.steps, a.lr, a.warmup, frac)
            for g in opt.param_groups:
                g["lr"] = lr
            x, y = next(it)
            with _autocast(dev):
                logits = model(x.to(dev))
            loss = torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), y.to(dev).flatten())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            losses.append(loss.item())
            rec = {"step": step, "loss": loss.item(), "lr": lr}
            if (step + 1) % a.eval_every == 0 or step + 1 == a.steps:
                rec["val_loss"] = eval_loss(model, val_s, pad, dev)
                print(f"step {step + 1}/{a.steps} loss {loss.item():.4f} val {rec['val_loss']:.4f} "
                      f"lr {lr:.2e} {time.time() - t0:.1f}s", flush=True)
            log.write(json.dumps(rec) + "\n")
            if save and ((step + 1) % a.ckpt_every == 0 or step + 1 == a.steps):
                save(step + 1, opt)
    return losses


def save_ckpt(path, cfg, model, step, opt=None):
    tmp = path + ".tmp"
    torch.save({"cfg": cfg, "weights": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                "step": step, "opt": opt.state_dict() if opt else None}, tmp)
    os.replace(tmp, path)


def cmd_pretrain(a):
    tok = tk.Tokenizer.load(a.tokenizer)
    cfg = load_config(a.config, tok)
    os.makedirs(a.out, exist_ok=True)
    dev = torch.device(a.device)
    torch.manual_seed(a.seed)
    model = M.Decoder(cfg).to(dev)
    ck = os.path.join(a.out, "ckpt.pt")
    opt, start = None, 0
    params = list(model.parameters())
    if a.resume and os.path.exists(ck):
        c = torch.load(ck, map_location=dev)
        model.load_state_dict(c["weights"])
        opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.95), weight_decay=a.wd)
        opt.load_state_dict(c["opt"])
        start = c["step"]
    train_s, val_s = (load_examples(a.data, s, tok, a.seq, a.loss) for s in ("train", "validation"))
    print(f"pretrain: {sum(p.numel() for p in params)} parameters, {len(train_s)} train examples "
          f"({sum(len(e[0]) for e in train_s)} tokens), from step {start}")
    return run_steps(model, params, a, train_s, val_s, tok.eos, dev, a.out, opt, start,
                     lambda step, o: save_ckpt(ck, cfg, model, step, o))


def load_examples_engine(data_dir, split, etok, seq, loss="note"):
    """load_examples with a foreign base's vocabulary, tokenized by the engine (base.EngineTokenizer): the
    prompt exactly as `sotto note` sends it (the user turn through the model's chat template, or the plain
    text + newline with BOS when it has none), then the note JSON as plain text and the end-of-turn token.
    Lines are datagen examples, or generic {"prompt": user turn, "response": assistant text} pairs."""
    path = os.path.join(data_dir, split + ".jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        exs = [json.loads(line) for line in f if line.strip()]
    if not exs:
        return []
    users = [e["prompt"] if "prompt" in e else datagen.user_text(e) for e in exs]
    answers = [e["response"] if "prompt" in e else datagen.note_json(e["note"]) for e in exs]
    prompts = etok.encode_many(users, chat=True) if etok.chat else etok.encode_many([u + "\n" for u in users])
    notes = etok.encode_many(answers, bos=False, special=False)
    out = [((p + n + [etok.eot])[:seq + 1], len(p) - 1 if loss == "note" else 0)
           for p, n in zip(prompts, notes) if len(p) < seq]
    if len(out) < len(exs):
        print(f"{path}: {len(exs) - len(out)} examples skipped (prompt longer than --seq {seq})", flush=True)
    return out


def load_base(a):
    """(cfg, weights, extra GGUF metadata or None, encode) for --base / --base-gguf / --base-hf."""
    import base as B
    if a.base:
        if not a.tokenizer:
            raise SystemExit("lora --base CKPT.pt needs --tokenizer T.json")
        c = torch.load(a.base, map_location="cpu")
        tok = tk.Tokenizer.load(a.tokenizer)
        return c["cfg"], c["weights"], None, (lambda s: load_examples(a.data, s, tok, a.seq, a.loss)), tok.eos
    try:
        cfg, W, extra = B.load_gguf(a.base_gguf) if a.base_gguf else B.load_hf(a.base_hf)
    except (ValueError, OSError) as e:
        raise SystemExit(f"lora: {e}")
    except Exception as e:  # a truncated or malformed file: ggufw / safetensors parse errors
        raise SystemExit(f"lora: {a.base_gguf or a.base_hf}: cannot read the base ({type(e).__name__}: {e})")
    if not os.path.exists(a.sotto):
        raise SystemExit(f"lora: the engine binary {a.sotto} is missing (build it, or give --sotto PATH)")
    etok = B.EngineTokenizer(a.sotto, extra)
    if etok.n_vocab > cfg["vocab_size"]:
        raise SystemExit(f"lora: the tokenizer has {etok.n_vocab} tokens, the model's embedding "
                         f"{cfg['vocab_size']} rows")
    return cfg, W, extra, (lambda s: load_examples_engine(a.data, s, etok, a.seq, a.loss)), etok.eos


def cmd_lora(a):
    if sum(bool(x) for x in (a.base, a.base_gguf, a.base_hf)) != 1:
        raise SystemExit("lora: give exactly one of --base CKPT.pt, --base-gguf M.gguf, --base-hf DIR")
    cfg, weights, extra, load, pad = load_base(a)
    dev = torch.device(a.device)
    torch.manual_seed(a.seed)
    model = M.from_weights(cfg, weights)
    params = M.add_lora(model, a.rank, a.alpha)
    model.to(dev)  # after add_lora: moves the adapters too (the parameter objects stay the same)
    os.makedirs(a.out, exist_ok=True)
    train_s, val_s = load("train"), load("validation")
    if not train_s:
        raise SystemExit(f"lora: no training examples in {a.data}/train.jsonl")
    print(f"lora: {cfg['arch']} base, rank {a.rank}, {sum(p.numel() for p in params)} adapter parameters, "
          f"{len(train_s)} train examples ({sum(len(e[0]) for e in train_s)} tokens)", flush=True)
    losses = run_steps(model, params, a, train_s, val_s, pad, dev, a.out)
    M.merge_lora(model)
    model.cpu()
    save_ckpt(os.path.join(a.out, "ckpt.pt"), cfg, model, a.steps)
    if extra is not None:  # a foreign base: export with its tokenizer
        import base as B
        for dt in a.export.split(","):
            path = os.path.join(a.out, f"merged-{dt}.gguf")
            B.export(dict(cfg, name=cfg.get("name", cfg["arch"]) + "-lora"), model.weights(), extra, dt, path)
            print(f"wrote {path} ({dt})", flush=True)
    return losses


def load_for_eval(ckpt, tokenizer):
    c = torch.load(ckpt, map_location="cpu")
    return M.from_weights(c["cfg"], c["weights"]).eval(), tk.Tokenizer.load(tokenizer)


def export_gguf(cfg, weights, tok, dtype, path):
    """Writes the GGUF with our tokenizer; returns the weights as stored (dequantized, float64, HF names)."""
    placeholder = gguf_export.add_tokenizer
    gguf_export.add_tokenizer = lambda g, c: tok.add_to_gguf(g, c["vocab_size"])
    try:
        return gguf_export.export(dict(cfg, tie="lm_head.weight" not in weights), weights, dtype, path)
    finally:
        gguf_export.add_tokenizer = placeholder


def cmd_export(a):
    c = torch.load(a.ckpt, map_location="cpu")
    export_gguf(c["cfg"], c["weights"], tk.Tokenizer.load(a.tokenizer), a.dtype, a.out)
    print(f"wrote {a.out} ({a.dtype})")


def main(argv=None):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("pretrain", "lora"):
        p = sub.add_parser(name)
        p.add_argument("--data", required=True)
        p.add_argument("--tokenizer", required=name == "pretrain", help="this tool's tokenizer (T.json)")
        p.add_argument("--out", required=True)
        p.add_argument("--steps", type=int, default=2000)
        p.add_argument("--batch", type=int, default=32)
        p.add_argument("--seq", type=int, default=768, help="longest example in tokens (longer ones are cut)")
        p.add_argument("--loss", default="note", choices=["note", "all"], help="tokens that count in the loss")
        p.add_argument("--lr", type=float, default=3e-3 if name == "pretrain" else 1e-3)
        p.add_argument("--wd", type=float, default=0.1 if name == "pretrain" else 0.0)
        p.add_argument("--warmup", type=int, default=100)
        p.add_argument("--eval-every", type=int, default=100)
        p.add_argument("--ckpt-every", type=int, default=500)
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--device", default="cpu")
        p.add_argument("--max-seconds", type=float, default=0, help="stop (and save) after this long; 0 = never")
        p.add_argument("--time-schedule", action="store_true", help="with --max-seconds: the cosine decay ends "
                       "at the time limit if that comes before the last step (a run cut by time still anneals)")
        if name == "pretrain":
            p.add_argument("--config", required=True)
            p.add_argument("--resume", action="store_true")
        else:
            p.add_argument("--base", help="a checkpoint of this tool (with --tokenizer)")
            p.add_argument("--base-gguf", help="any GGUF of llama / qwen2 / gemma3 (F32 F16 BF16 Q8_0 Q4_0 Q4_K)")
            p.add_argument("--base-hf", help="a Hugging Face directory: config.json, *.safetensors, tokenizer.json")
            p.add_argument("--sotto", default=os.path.join(HERE, "..", "..", "build", "sotto"),
                           help="the engine binary, which tokenizes for --base-gguf / --base-hf (build/sotto)")
            p.add_argument("--export", default="q8_0", help="GGUF types written for a GGUF / HF base (comma list; "
                           "f32 f16 q8_0 q4_0): OUT/merged-TYPE.gguf")
            p.add_argument("--rank", type=int, default=8)
            p.add_argument("--alpha", type=float, default=16.0)
    p = sub.add_parser("export")
    p.add_argument("--ckpt", required=True)
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--dtype", default="f32", choices=sorted(gguf_export.DT))
    p.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    return {"pretrain": cmd_pretrain, "lora": cmd_lora, "export": cmd_export}[a.cmd](a)


if __name__ == "__main__":
    main()
