// audio-evidence.mjs — the recording behind the transcript, as evidence for the review: which audio each range of
// the transcript came from, kept in place while the user edits, played for a supported passage, and kept after a
// reload only with the user's consent (then encrypted at rest by store.mjs, like the draft).
// Times are the phrases' own: speech recognition gives a phrase its start and end (seconds from its clip's start)
// and no per-word times (docs/asr.md), so a passage plays the phrase or phrases that hold it.
// Pure (tests/web/audio-evidence.test.mjs):
//   editRanges(ranges, before, after)  ranges {from, to, ...} (UTF-16 indices) after the text changed from
//                                      `before` to `after`: those around the change kept (a phrase the user
//                                      corrected inside keeps its audio), those typed over (or left with
//                                      no letter or digit) dropped
//   passageAudio(ranges, from, to)     {clip, start, end} of the phrases under [from, to) (of their first clip), or null
//   clock(seconds)                     "m:ss"
//   toInt16(clips) / fromInt16(bytes, clips)  the clips' Float32 PCM as 16-bit little-endian bytes and back
// State: new Evidence(): clips [{rate, pcm}] (pcm null while recording or when not kept), ranges
//   {from, to, clip, start, end} indexing `text`; beginClip(rate) -> clip; addPhrase(clip, from, to, start, end);
//   endClip(clip, pcm); sync(text) follows an edit; snapshot()/restore(s); meta() (what the draft keeps: no audio);
//   load(meta, text, bytes) from a restored draft and the kept recording (bytes: toInt16's, or null);
//   keepStatus(ev, keep, shared, noStore) what becomes of the recording, as a sentence (noStore: no IndexedDB to keep it in).
//   playButtons(spans, at) the play controls of the distinct support spans {from, to} ending at `at`.
// Does not: store anything (app.js calls store.mjs, and only with consent), capture or transcribe audio.

export function editRanges(ranges, before, after) {
  if (before === after) return ranges;
  let p = 0;
  const n = Math.min(before.length, after.length);
  while (p < n && before[p] === after[p]) p++;
  let s = 0;
  while (s < n - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  const endOld = before.length - s, endNew = after.length - s, delta = after.length - before.length;
  const out = [];
  for (const r of ranges) {
    if (r.to <= p) { out.push(r); continue; }                              // before the change
    if (r.from >= endOld) { out.push({ ...r, from: r.from + delta, to: r.to + delta }); continue; }  // after it
    if (r.from < p && r.to > endOld) out.push({ ...r, to: r.to + delta });  // a correction inside: the phrase, new text too
    else if (r.from < p) out.push({ ...r, to: p });                       // its end typed over
    else if (r.to > endOld) out.push({ ...r, from: endNew, to: r.to + delta });  // its start typed over
    // wholly typed over: the user's text, no longer this audio
  }
  return out.filter((r) => /[\p{L}\p{N}]/u.test(after.slice(r.from, r.to)));  // a phrase left with no word is gone
}

export function passageAudio(ranges, from, to) {
  const under = ranges.filter((r) => r.from < to && r.to > from);
  if (!under.length) return null;
  const clip = under[0].clip;
  const same = under.filter((r) => r.clip === clip);
  return { clip, start: Math.min(...same.map((r) => r.start)), end: Math.max(...same.map((r) => r.end)) };
}

export const clock = (t) => `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, '0')}`;

export function toInt16(clips) {
  const n = clips.reduce((a, c) => a + c.pcm.length, 0);
  const out = new Int16Array(n);
  let o = 0;
  for (const c of clips) {
    for (let i = 0; i < c.pcm.length; i++) out[o++] = Math.max(-32768, Math.min(32767, Math.round(c.pcm[i] * 32768)));
  }
  return new Uint8Array(out.buffer);
}

export function fromInt16(bytes, meta) {
  const all = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
  if (all.length !== meta.reduce((a, c) => a + c.samples, 0)) throw new Error('the kept recording does not match its note');
  let o = 0;
  return meta.map((c) => {
    const pcm = new Float32Array(c.samples);
    for (let i = 0; i < pcm.length; i++) pcm[i] = all[o++] / 32768;
    return { rate: c.rate, pcm };
  });
}

// What becomes of the recording, in a sentence (beside the consent box).
export function keepStatus(ev, keep, shared, noStore = false) {
  const nowhere = 'This browser gives the app no IndexedDB (a private window?): the recording stays in this page\'s memory only, nothing is kept on this device.';
  if (!ev.clips.length) {
    return !keep ? 'No recording with this note.' : noStore && !shared ? nowhere : 'A recording of this note will be kept, encrypted on this device.';
  }
  if (!ev.audible) return 'The recording was not kept with this note, so its passages cannot be played.';
  if (!keep) return 'The recording is in this page\'s memory only: it is gone when the page is closed or reloaded.';
  if (shared) return 'Shared computer: the recording stays in this page\'s memory only, nothing is kept on this device.';
  if (noStore) return nowhere;
  return 'The recording is kept with this note, encrypted on this device, and cleared with the draft (Settings).';
}

let ctx = null, playing = null;

export class Evidence {
  constructor() { this.clips = []; this.ranges = []; this.text = ''; }

  beginClip(rate) { this.clips.push({ rate, pcm: null }); return this.clips.length - 1; }
  endClip(clip, pcm) { this.clips[clip] = { ...this.clips[clip], pcm }; }
  addPhrase(clip, from, to, start, end) { if (clip != null) this.ranges.push({ from, to, clip, start, end }); }
  sync(text) {
    if (this.text !== text) { this.ranges = editRanges(this.ranges, this.text, text); this.text = text; }
  }
  get audible() { return this.clips.some((c) => c.pcm); }
  get complete() { return this.clips.length > 0 && this.clips.every((c) => c.pcm); }
  meta() {
    return { ranges: this.ranges, clips: this.clips.map((c) => ({ rate: c.rate, samples: c.pcm?.length ?? 0 })) };
  }
  snapshot() { return { clips: this.clips.slice(), ranges: this.ranges, text: this.text }; }
  restore(s) { this.clips = s?.clips?.slice() ?? []; this.ranges = s?.ranges ?? []; this.text = s?.text ?? ''; }
  // From a restored draft: meta() as it was saved, the transcript, and the kept recording's bytes (or null).
  load(meta, text, bytes) {
    const clips = Array.isArray(meta?.clips) ? meta.clips : [];
    let pcm = null;
    try { if (bytes) pcm = fromInt16(bytes, clips); } catch { pcm = null; }
    this.restore({ clips: pcm ?? clips.map((c) => ({ rate: c.rate, pcm: null })), ranges: Array.isArray(meta?.ranges) ? meta.ranges : [], text });
  }

  // The play controls (no text of their own: the review view's text stays the transcript's).
  playButtons(spans, at) {
    const seen = new Set(), out = [];
    for (const s of spans) {
      const k = `${s.from}-${s.to}`;
      if (s.to !== at || seen.has(k)) continue;
      seen.add(k);
      const a = passageAudio(this.ranges, s.from, s.to);
      if (!a || !this.clips[a.clip]?.pcm) continue;
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'play';
      b.setAttribute('aria-label', `Play the audio of this passage (${clock(a.start)}-${clock(a.end)})`);
      b.title = b.getAttribute('aria-label');
      Object.assign(b.dataset, { from: s.from, to: s.to, start: a.start, end: a.end });
      b.onclick = () => this.play(a);
      out.push(b);
    }
    return out;
  }

  // Plays [start, end) of a clip; the body's data-audio-played says what (the tests read it), data-audio-playing when.
  async play({ clip, start, end }) {
    const c = this.clips[clip];
    if (!c?.pcm) return;
    const a = Math.max(0, Math.round(start * c.rate)), z = Math.min(c.pcm.length, Math.round(end * c.rate));
    if (z <= a) return;
    ctx ??= new AudioContext();
    await ctx.resume();
    playing?.stop();
    const buf = ctx.createBuffer(1, z - a, c.rate);
    buf.copyToChannel(c.pcm.subarray(a, z), 0);
    const src = ctx.createBufferSource();
    src.buffer = buf;
    src.connect(ctx.destination);
    playing = src;
    document.body.dataset.audioPlayed = JSON.stringify({ clip, start, end, samples: z - a });
    document.body.dataset.audioPlaying = 'yes';
    src.onended = () => { if (playing === src) { playing = null; document.body.dataset.audioPlaying = 'done'; } };
    src.start();
  }
}
