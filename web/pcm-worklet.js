// pcm-worklet.js — the AudioWorklet processor of audio.mjs startStreaming(): copies the microphone's
// samples (channel 0, at the AudioContext's rate: 16 kHz) into chunks of 1600 (100 ms) and posts each to
// the page; 'flush' posts what is left, then 'flushed'. Runs on the audio thread; does nothing else.
const CHUNK = 1600;

class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.buf = new Float32Array(CHUNK);
    this.n = 0;
    this.port.onmessage = (e) => {
      if (e.data !== 'flush') return;
      if (this.n) this.port.postMessage(this.buf.slice(0, this.n));
      this.n = 0;
      this.port.postMessage('flushed');
    };
  }

  process(inputs) {
    const x = inputs[0]?.[0];
    if (!x) return true;
    for (let i = 0; i < x.length;) {
      const k = Math.min(x.length - i, CHUNK - this.n);
      this.buf.set(x.subarray(i, i + k), this.n);
      this.n += k;
      i += k;
      if (this.n === CHUNK) {
        this.port.postMessage(this.buf.slice());
        this.n = 0;
      }
    }
    return true;
  }
}

registerProcessor('pcm-capture', PcmCapture);
