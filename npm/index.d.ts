// index.d.ts — the types of the npm package's API (index.js), written by hand and checked by tests/npm (tsc --noEmit
// on a usage file). Documentation: docs/npm.md.

/** Where the model runs: "webgpu" (an adapter is required), "wasm" (the wasm CPU engine, SIMD128, threads where
 * usable), or "auto" (a hardware WebGPU adapter when there is one, else the wasm CPU). */
export type Device = 'auto' | 'webgpu' | 'wasm';

/** Progress of Sotto.load: the model's bytes (cached: read from the cache or a local file), then compiling the
 * engine, then loading the model into it. */
export type LoadProgress =
  | { phase: 'download'; loaded: number; total: number; cached: boolean }
  | { phase: 'compile' }
  | { phase: 'load' };

export interface LoadOptions {
  /** Default "auto". In Node there is no WebGPU unless `gpu` is given. */
  device?: Device;
  /** Called during the download and the loading. */
  onProgress?: (p: LoadProgress) => void;
  /** Lines the engine writes (fd 1: stdout, 2: stderr); dropped by default. */
  onLog?: (line: string, fd: number) => void;
  /** Model caching for URLs. false: none; true: browsers the Cache API store "sotto-models", Node
   * $XDG_CACHE_HOME/sotto-npm (or ~/.cache/sotto-npm); a string: the Cache API store's name (browsers) or a
   * directory (Node). Default: true in browsers, false in Node. */
  cache?: boolean | string;
  /** CPU threads of the wasm engine (the threaded build needs SharedArrayBuffer, and in browsers a cross-origin
   * isolated page). Default: the hardware's count, at most 8. */
  threads?: number;
  /** Context size in tokens; 0: the model's training context, at most 4096 (as the CLI). */
  nCtx?: number;
  /** The file name errors name (default: the URL's or path's last part, "model.gguf" for bytes). */
  name?: string;
  /** A WebGPU object (navigator.gpu, or npm `webgpu`'s create([]) in Node): the engine then runs in this thread. */
  gpu?: unknown;
  /** false: run the engine in this thread instead of a worker. */
  worker?: boolean;
  /** Aborts the load (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

export interface ModelInfo {
  name: string;
  /** general.architecture: "llama", "qwen2", "gemma3", "moonshine", "whisper", ... */
  arch: string;
  kind: 'text' | 'speech';
  device: 'webgpu' | 'wasm';
  /** The WebGPU adapter's vendor and architecture, or null. */
  adapter: string | null;
  /** Why the model is not on WebGPU, or null. */
  why: string | null;
  bytes: number;
  cached: boolean;
  threads: number;
}

/** One turn of a conversation; generate() renders them through the model's chat template, as `sotto serve --api`
 * does ("developer" is a system turn), and opens the assistant's turn. */
export interface Message {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
}

export interface GenerateOptions {
  /** Tokens to generate at most (256). */
  maxTokens?: number;
  /** 0: greedy (0.8). */
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repeatPenalty?: number;
  seed?: number;
  /** A prompt string in the model's chat template as a user turn (messages always are). */
  chat?: boolean;
  /** Output constrained to JSON valid under this JSON Schema (an object or its text). */
  schema?: object | string;
  /** Output constrained to this GBNF grammar. */
  grammar?: string;
  /** With schema: no whitespace between JSON tokens. */
  compact?: boolean;
  /** Every sampled token id, the end-of-generation token included. */
  onToken?: (id: number) => void;
  /** Stops generation between tokens; the loop then throws the signal's reason. */
  signal?: AbortSignal;
  /** false: prefill the whole prompt, not the prefix the KV cache holds from the last call (true). */
  cachePrompt?: boolean;
}

/** After a generate loop: the prompt's tokens and how many of them the KV cache held already. */
export interface Usage {
  promptTokens: number;
  cachedTokens: number;
}

export interface Word {
  text: string;
  begin: number;
  end: number;
  confidence: number;
  uncertain: boolean;
}

export interface Segment {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  text: string;
  words: Word[];
  flags: { kind: string; words: [number, number]; reason: string }[];
  latency_ms?: number;
}

export interface Transcript {
  /** The segments' text joined by spaces. */
  text: string;
  segments: Segment[];
}

export interface TranscribeOptions {
  /** The samples' rate (16000); other rates are resampled by the engine. */
  sampleRate?: number;
  signal?: AbortSignal;
}

export interface NoteOptions {
  /** Longest note in tokens (1024). */
  maxTokens?: number;
  /** 0: greedy (0). */
  temperature?: number;
  seed?: number;
  /** YYYY-MM-DD: relative dates in the transcript are resolved against it. */
  visitDate?: string;
  /** The note session's context (4096). */
  nCtx?: number;
  signal?: AbortSignal;
}

export interface SupportItem {
  path: string;
  value: string;
  spans: [number, number][];
  unsupported: boolean;
  flagged: boolean;
  checked: boolean;
  why: string;
  uncertain_speech?: boolean;
}

export interface Note {
  /** The note's JSON text, valid under the template. */
  text: string;
  /** The same, parsed. */
  note: Record<string, unknown>;
  markdown: string;
  /** Each value of the note and where the transcript supports it (UTF-8 byte offsets). */
  support: SupportItem[];
  /** Transcript windows the note was written from (1 when the transcript fits the model's training context). */
  windows: number;
  message: string | null;
}

export declare class Sotto {
  private constructor();
  /** Loads a model (GGUF) from a URL, bytes, or (Node) a file path, in a worker of its own. */
  static load(source: string | URL | ArrayBuffer | Uint8Array, options?: LoadOptions): Promise<Sotto>;
  /** Deletes the models load() cached (`cache` as given to load). */
  static clearCache(cache?: boolean | string): Promise<void>;
  readonly info: ModelInfo;
  /** After a generate loop: why it ended. */
  stopReason?: 'stop' | 'length' | 'aborted';
  /** After a generate loop: its prompt tokens and those reused from the last call's cache. */
  usage?: Usage | null;
  onLog: ((line: string, fd: number) => void) | null;
  /** Text pieces as they are generated (a text model). */
  generate(input: string | Message[], options?: GenerateOptions): AsyncGenerator<string, void, undefined>;
  /** Speech to text of mono samples in [-1, 1] (a speech model). */
  transcribe(pcm: Float32Array, options?: TranscribeOptions): Promise<Transcript>;
  /** A structured note of a transcript under a template's JSON Schema (a text model). */
  note(transcript: string, template: object | string, options?: NoteOptions): Promise<Note>;
  /** Ends the worker; pending requests reject. */
  dispose(): void;
}

export default Sotto;
