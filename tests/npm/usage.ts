// usage.ts — type-checked (tsc --noEmit --strict) against the installed package's index.d.ts by run.sh; never run.
import { Sotto, type LoadProgress, type Message, type ModelInfo, type Note, type Transcript } from 'sotto';
import SottoDefault from 'sotto';

async function main(): Promise<void> {
  const ac = new AbortController();
  const m: Sotto = await Sotto.load('https://example.invalid/model.gguf', {
    device: 'auto',
    cache: true,
    threads: 2,
    onProgress: (p: LoadProgress) => { if (p.phase === 'download') console.log(p.loaded, p.total, p.cached); },
    signal: ac.signal,
  });
  const info: ModelInfo = m.info;
  const kind: 'text' | 'speech' = info.kind;
  let text = '';
  for await (const piece of m.generate([{ role: 'user', content: 'hi' }], { schema: { type: 'object' }, maxTokens: 8, signal: ac.signal })) {
    text += piece;
  }
  for await (const piece of m.generate('prompt', { temperature: 0, onToken: (id: number) => void id })) text += piece;
  const chat: Message[] = [{ role: 'system', content: 's' }, { role: 'user', content: 'u' },
    { role: 'assistant', content: 'a' }, { role: 'developer', content: 'd' }];
  for await (const piece of m.generate(chat)) text += piece;
  // @ts-expect-error: no tool turns
  m.generate([{ role: 'tool', content: 'x' }]);
  const reason: 'stop' | 'length' | 'aborted' | undefined = m.stopReason;
  for await (const piece of m.generate(chat, { cachePrompt: false })) text += piece;
  const cached: number | undefined = m.usage?.cachedTokens;
  console.log(cached, m.usage?.promptTokens);
  const t: Transcript = await m.transcribe(new Float32Array(16000), { sampleRate: 16000 });
  const n: Note = await m.note(t.text, { type: 'object', properties: {} }, { visitDate: '2026-01-02' });
  console.log(kind, reason, text, t.segments[0]?.words[0]?.confidence, n.note, n.support[0]?.spans);
  m.dispose();
  await Sotto.clearCache();
  await SottoDefault.load(new Uint8Array(8), { device: 'wasm', worker: false });
  // @ts-expect-error: the device is one of three
  await Sotto.load('x', { device: 'gpu' });
  // @ts-expect-error: transcribe takes Float32Array samples
  await m.transcribe([0, 1]);
}
void main;
