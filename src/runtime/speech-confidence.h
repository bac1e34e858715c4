// speech-confidence.h — how sure the speech model was of what it wrote, word by word, and the guards that mark
// text it likely made up (docs/asr.md, "Confidence and hallucination guards").
//  * token probability: p = softmax(logits)[chosen token] of the greedy step that emitted it (PhraseDecoder
//    computes it on the backend from the logits it already has: no extra forward pass);
//  * words: the tokens grouped by the text they decode to: a word is a maximal run of non-space bytes of the
//    concatenated pieces (SentencePiece's leading "▁" and byte-level BPE's leading "Ġ" both decode to a space, so
//    this is the tokenizers' word-boundary convention); a token whose piece holds a space and letters on both
//    sides belongs to both words; a token that decodes to nothing or only to spaces (a special, a lone space) belongs to none;
//  * word confidence: the minimum probability of its tokens (one unsure piece makes the word unsure; a mean
//    would let a long word's sure pieces hide it);
//  * guards (speech_flags): spans of words with a reason, never removed text:
//      - low_confidence: a word below kLowWordConfidence;
//      - repetition: an n-gram (1..kMaxRepeatN words) said kMinRepeats or more times in a row (a decoder loop);
//        the copies after the first are flagged;
//      - too_many_words: more words than kMaxWordsPerSecond allow for the phrase's audio (text for silence or
//        noise, a sentence recalled from training); the words past the plausible count are flagged;
//      - low_phrase_confidence: the phrase's mean word confidence under kLowPhraseConfidence: the whole phrase.
//    The thresholds and where they come from are beside their constants (measured by
//    tools/audio/asr-confidence.py on the bundled model; docs/asr.md).
// Does not: give word times (greedy Moonshine decoding has no timestamps; a word has its phrase's times), or
// change the text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sotto {

class Tokenizer;

// The thresholds were measured with tools/audio/asr-confidence.py on the bundled model (models/sotto-asr-q8_0.gguf;
// docs/asr.md has the table): 20 held-out dictations (1,129 words), 24 recordings of sentences unlike the training
// data (12 sentences x 2 voices), and speech played backwards. The model is overconfident: most words it makes up
// have probability ~1, so the phrase-level mean is the stronger signal.
// A word below this is uncertain: 0.55% of right words fall under it in held-out dictations, 19% of wrong ones
// there, 32% of wrong words on unknown sentences, 38% of words made up for reversed speech.
constexpr float kLowWordConfidence = 0.9f;
// A phrase whose mean word confidence is under this is marked whole: 3 of 84 mostly right phrases of the held-out
// dictations fall under it, and 22 of 23 mostly wrong phrases of unknown sentences (training sentences recalled
// instead: "Salbutamol 100 micrograms, four times daily." for a sentence about a tenancy, mean 0.90), 6 of 6 phrases
// made up for reversed speech. (At 0.95: 2 of 84 and 21 of 23, 5 of 6.) A false mark costs the reviewer one
// listen; a missed one, a made-up sentence in a note.
constexpr float kLowPhraseConfidence = 0.97f;
// Fast speech is 4-5 words a second (the most measured: 3.6 in held-out dictations, 5.5 in a recalled phrase); a
// phrase's duration includes the VAD's padding, so more than 6 a second (plus one word) is not what was said: text
// for near-silence, or a decoder loop running to its token cap.
constexpr float kMaxWordsPerSecond = 6.0f;
// A word or phrase of up to kMaxRepeatN words said kMinRepeats or more times in a row is a decoder loop. The
// training data's disfluencies repeat a word twice ("the, the"), as people do; the model's loops measured on
// unknown sentences repeat three times ("growth. growth. growth.").
constexpr int kMaxRepeatN = 8;
constexpr int kMinRepeats = 3;

struct TranscriptWord {
  std::string text;            // as in the segment's text (valid UTF-8)
  size_t begin = 0, end = 0;   // byte offsets in the segment's text
  float confidence = 1.0f;     // the minimum probability of its tokens
  int first_token = 0, n_tokens = 0;  // the tokens it is made of: tokens[first_token, first_token + n_tokens)
};

struct SpeechFlag {
  enum Kind { low_confidence, repetition, too_many_words, low_phrase_confidence } kind = low_confidence;
  int first_word = 0, end_word = 0;  // words [first_word, end_word)
  std::string reason;                // for the reviewer: "repeated 3 times: take one tablet"
};

const char* speech_flag_name(SpeechFlag::Kind k);  // "low_confidence", "repetition", ...

// Decoded bytes as one line of valid UTF-8: invalid sequences (stray byte-fallback bytes) become U+FFFD and
// control characters a space (what the transcriber does to a phrase's text before trimming it).
std::string speech_text_utf8(const std::string& bytes);

// The words of a segment: `ids` the generated tokens, `probs` their probabilities (same length), `text` the
// segment's text as the transcriber made it (decoded pieces, invalid UTF-8 as U+FFFD, control characters as
// spaces, trimmed). Words are found in `text` in order; throws Error if a word cannot be (a bug, not input).
std::vector<TranscriptWord> group_words(const Tokenizer& tok, const std::vector<int32_t>& ids,
                                        const std::vector<float>& probs, const std::string& text);

// The same from the pieces themselves (tests; group_words calls it): piece i decodes token i.
std::vector<TranscriptWord> group_pieces(const std::vector<std::string>& pieces, const std::vector<float>& probs,
                                         const std::string& text);

// The guards above over one phrase of `seconds` of audio; flags are ordered by first word, then kind.
std::vector<SpeechFlag> speech_flags(const std::vector<TranscriptWord>& words, double seconds);

// JSON text of a phrase's words and flags, as `sotto transcribe --json` and the wasm ABI print them:
//   "words": [{"text", "begin", "end" (bytes in the text), "confidence", "uncertain"}],
//   "flags": [{"kind", "words": [first, end), "reason"}]   (two members, no braces around them)
std::string speech_confidence_json(const std::vector<TranscriptWord>& words, const std::vector<SpeechFlag>& flags);

// Word i of `words` is uncertain: below kLowWordConfidence or inside a flag.
std::vector<bool> uncertain_words(const std::vector<TranscriptWord>& words, const std::vector<SpeechFlag>& flags);

}  // namespace sotto
