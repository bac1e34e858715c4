// audio.mjs — audio in for the scribe: a recording from the microphone or a dropped file, decoded with
// WebAudio and resampled to 16 kHz mono Float32 PCM (what the speech models take). Nothing is uploaded.
//   const rec = await startRecording();  ...  const blob = await rec.stop();
//   const { pcm, seconds } = await decodeTo16k(blobOrFile);
// Does not: speech recognition (asr.mjs), voice activity detection, streaming.

export const SAMPLE_RATE = 16000;

export async function startRecording() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false } });
  const rec = new MediaRecorder(stream);
  const chunks = [];
  rec.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
  rec.start(250);
  return {
    stop: () => new Promise((resolve) => {
      rec.onstop = () => {
        for (const t of stream.getTracks()) t.stop();
        resolve(new Blob(chunks, { type: rec.mimeType }));
      };
      rec.stop();
    }),
  };
}

export async function decodeTo16k(blob) {
  const data = await blob.arrayBuffer();
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
