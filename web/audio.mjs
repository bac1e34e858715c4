// audio.mjs — audio in for the scribe, as 16 kHz mono Float32 PCM (what the speech models take): the
// microphone streamed in chunks while it records, or a dropped file decoded whole. Nothing is uploaded.
//   const mic = await startStreaming((chunk) => ...);  ...  const pcm = await mic.stop();
//       chunks of samples as they are captured (an AudioWorklet, pcm-worklet.js, in an AudioContext running
//       at 16 kHz where the browser can resample the microphone; else at mic.sampleRate); stop() returns all
//       of them joined.
//   const { pcm, seconds } = await decodeTo16k(blobOrFile);
//       a 16 kHz mono 16-bit or float WAV is read as it is (no resampling: the samples are exact); any other
//       file is decoded with WebAudio and resampled by an OfflineAudioContext.
// Does not: speech recognition (asr.mjs), voice activity detection.

export const SAMPLE_RATE = 16000;

// Streams the microphone in chunks to onChunk(Float32Array): at 16 kHz where the browser resamples the
// microphone into a 16 kHz AudioContext (Chromium, Safari); where it cannot (Firefox refuses to connect a
// microphone to a context at another rate) at the context's own rate, which the caller reads from
// .sampleRate (the speech engine then resamples, as `sotto transcribe` does).
export async function startStreaming(onChunk) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false,
                                                                      noiseSuppression: false, autoGainControl: false } });
  let ctx = null, src = null, lastError = null;
  for (const opts of [{ sampleRate: SAMPLE_RATE }, {}]) {
    try {
      ctx = new AudioContext(opts);
      await ctx.audioWorklet.addModule('/pcm-worklet.js');
      src = ctx.createMediaStreamSource(stream);
      break;
    } catch (e) {
      lastError = e;
      ctx?.close();
      ctx = null;
    }
  }
  if (!ctx) {
    for (const t of stream.getTracks()) t.stop();
    throw new Error(`this browser cannot capture audio here (${lastError?.message})`);
  }
  const node = new AudioWorkletNode(ctx, 'pcm-capture', { numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
  const chunks = [];
  let flushed = null;
  node.port.onmessage = (e) => {
    if (e.data === 'flushed') { flushed?.(); return; }
    chunks.push(e.data);
    onChunk(e.data);
  };
  src.connect(node);
  await ctx.resume();
  return {
    sampleRate: ctx.sampleRate,
    stop: async () => {
      src.disconnect();
      await new Promise((resolve) => { flushed = resolve; node.port.postMessage('flush'); });
      for (const t of stream.getTracks()) t.stop();
      await ctx.close();
      const n = chunks.reduce((a, c) => a + c.length, 0);
      const pcm = new Float32Array(n);
      let off = 0;
      for (const c of chunks) { pcm.set(c, off); off += c.length; }
      return pcm;
    },
  };
}

// The samples of a 16 kHz mono PCM WAV (16-bit or 32-bit float), or null for anything else.
export function readWav16k(data) {
  const v = new DataView(data);
  const tag = (o) => String.fromCharCode(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2), v.getUint8(o + 3));
  if (data.byteLength < 44 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return null;
  let fmt = null;
  for (let o = 12; o + 8 <= data.byteLength;) {
    const id = tag(o), size = v.getUint32(o + 4, true), body = o + 8;
    if (id === 'fmt ' && size >= 16) {
      fmt = { format: v.getUint16(body, true), channels: v.getUint16(body + 2, true), rate: v.getUint32(body + 4, true),
              bits: v.getUint16(body + 14, true) };
    } else if (id === 'data' && fmt) {
      if (fmt.channels !== 1 || fmt.rate !== SAMPLE_RATE) return null;
      const n = Math.min(size, data.byteLength - body);
      if (fmt.format === 1 && fmt.bits === 16) {
        const out = new Float32Array(n >> 1);
        for (let i = 0; i < out.length; i++) out[i] = v.getInt16(body + 2 * i, true) / 32768;
        return out;
      }
      if (fmt.format === 3 && fmt.bits === 32) {
        const out = new Float32Array(n >> 2);
        for (let i = 0; i < out.length; i++) out[i] = v.getFloat32(body + 4 * i, true);
        return out;
      }
      return null;
    }
    o = body + size + (size & 1);
  }
  return null;
}

export async function decodeTo16k(blob) {
  const data = await blob.arrayBuffer();
  const exact = readWav16k(data);
  if (exact) return { pcm: exact, seconds: exact.length / SAMPLE_RATE };
  const ctx = new AudioContext();
  let decoded;
  try {
    decoded = await ctx.decodeAudioData(data);
  } catch {
    throw new Error(`${blob.name ?? 'the recording'}: not an audio file this browser can decode`);
  } finally {
    ctx.close();
  }
  const n = Math.max(1, Math.ceil(decoded.duration * SAMPLE_RATE));
  const off = new OfflineAudioContext(1, n, SAMPLE_RATE);  // mixes down to mono and resamples
  const src = off.createBufferSource();
  src.buffer = decoded;
  src.connect(off.destination);
  src.start();
  const out = await off.startRendering();
  return { pcm: out.getChannelData(0), seconds: decoded.duration };
}

// Peak level per bucket, for drawing a waveform.
export function peaks(pcm, buckets) {
  const out = new Float32Array(buckets);
  const per = Math.max(1, Math.floor(pcm.length / buckets));
  for (let b = 0; b < buckets; b++) {
    let m = 0;
    for (let i = b * per; i < Math.min(pcm.length, (b + 1) * per); i++) m = Math.max(m, Math.abs(pcm[i]));
    out[b] = m;
  }
  return out;
}
