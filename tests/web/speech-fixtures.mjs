// speech-fixtures.mjs — test audio for the browser tests (tests/web/app.test.mjs, tests/browsers/app.test.mjs):
//   referenceResample(wavBytes)  16-bit mono PCM WAV bytes -> Float64Array at 16 kHz (a reference resampler)
//   wav16k(samples)              a 16 kHz mono 16-bit WAV (Buffer)
//   conversation16k(dir)         two espeak-ng voices in four turns, written as dir/conversation-16k.wav; its path
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { wavBytes } from '../wav.mjs';

// Reference 16 kHz resampling of 16-bit mono PCM: Hann-windowed sinc, cutoff 7.6 kHz, 64 taps a side.
export function referenceResample(wavBytes) {
  const rate = wavBytes.readUInt32LE(24);
  const n = (wavBytes.length - 44) >> 1;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = wavBytes.readInt16LE(44 + 2 * i) / 32768;
  const ratio = rate / 16000, fc = 7600 / rate, half = 64 * ratio;
  const out = new Float64Array(Math.ceil(n / ratio));
  for (let k = 0; k < out.length; k++) {
    const t = k * ratio;
    let acc = 0;
    for (let i = Math.max(0, Math.ceil(t - half)); i <= Math.min(n - 1, Math.floor(t + half)); i++) {
      const d = i - t;
      const sinc = d === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * d) / (Math.PI * d);
      acc += x[i] * sinc * (0.5 + 0.5 * Math.cos(Math.PI * d / half));
    }
    out[k] = acc;
  }
  return out;
}

export const wav16k = (samples) => wavBytes(samples, 1, 16000);

// A conversation: two espeak-ng voices take four turns with 0.6 s pauses (tests/wasm/speakers.test.mjs), at 16 kHz.
export function conversation16k(dir) {
  const turns = [['en-us+m3', '150', '35', 'Good morning. What brings you in today?'],
                 ['en-gb-x-rp+f4', '170', '70', 'I have had a sore throat and a mild fever since Monday.'],
                 ['en-us+m3', '150', '35', 'Any trouble swallowing, or a cough at night?'],
                 ['en-gb-x-rp+f4', '170', '70', 'Some trouble swallowing, but no cough. I took paracetamol twice a day.']];
  const pause = Buffer.alloc(2 * Math.round(0.6 * 22050));
  const parts = [pause];
  for (const [v, sp, pitch, text] of turns) {
    const b = execFileSync('espeak-ng', ['-v', v, '-s', sp, '-p', pitch, '--stdout', text], { maxBuffer: 1 << 28 });
    parts.push(b.subarray(44), pause);
  }
  const pcm = Buffer.concat(parts);
  const header = wavBytes([], 1, 22050);
  header.writeUInt32LE(36 + pcm.length, 4);
  header.writeUInt32LE(pcm.length, 40);
  const file = join(dir, 'conversation-16k.wav');
  writeFileSync(file, wav16k(referenceResample(Buffer.concat([header, pcm]))));
  return file;
}
