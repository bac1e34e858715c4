// asr.mjs — THE HOOK for speech recognition in the browser. The speech models (Moonshine / Whisper in the
// wasm + WebGPU engine) are being built on another branch; when they land, transcribe() sends the 16 kHz
// PCM to the engine worker (a {type: 'transcribe', pcm} message, answered with text segments) and returns
// the transcript. Until then it says so, and the user types or pastes the transcript: nothing is faked.
//   const r = await transcribe(pcm16k, worker);  // {text} or {unavailable: 'reason'}
export const ASR_AVAILABLE = false;

export async function transcribe(pcm, worker) {
  // ASR worker call goes here (see the contract above).
  return { unavailable: 'Speech recognition is not in this build yet: type or paste the transcript.' };
}
