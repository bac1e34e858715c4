// support-speech.h — the speech model's doubts carried into the support check: a transcript made by speech
// recognition comes with the byte spans of its uncertain words (runtime/speech-confidence.h: low confidence, or
// inside a hallucination guard's flag), and a note value whose every supporting span touches an uncertain word
// is flagged "rests on uncertain speech", so the reviewer listens again before approving. Shared by `sotto note`
// (from a recording, or --transcript T.json from `sotto transcribe --json`), `sotto note --check`, and the wasm
// ABI (the app sends the spans of the words it shows as uncertain), so the CLI and the app flag the same values.
// Does not: re-run the support check (support.h does), or judge values that are already flagged or not checked.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "runtime/transcribe.h"
#include "scribe/support.h"

namespace sotto {

struct UncertainSpeech {
  size_t begin = 0, end = 0;  // byte offsets in the transcript
  std::string reason;         // "low confidence (0.31)", "repeated 3 times: ..."
};

// A transcript made by speech recognition: the phrases' texts, one line each ("text\n" per non-empty phrase, as
// `sotto note AUDIO` builds it), and its uncertain words (consecutive uncertain words of a phrase with the same
// reason are one span).
struct SpeechTranscript {
  std::string text;
  std::vector<UncertainSpeech> uncertain;
};
SpeechTranscript speech_transcript(const std::vector<TranscriptSegment>& segments);
// The same from `sotto transcribe --json` output ({"segments": [{"text", "words", "flags"}]}); `name` for errors.
SpeechTranscript speech_transcript_from_json(const json::Value& v, const std::string& name);

// [[begin, end, "reason"], ...] (what the app sends), checked against a transcript of n bytes; `name` for errors.
std::vector<UncertainSpeech> uncertain_from_json(const json::Value& v, size_t n, const std::string& name);

// Flags each value that is supported (checked, not flagged) only by spans that overlap uncertain speech: flagged
// becomes true, and `uncertain_speech` names the words and reasons.
void mark_uncertain_speech(std::vector<FieldSupport>& support, const std::string& transcript,
                           const std::vector<UncertainSpeech>& uncertain);

}  // namespace sotto
