// command-grammar.h — the command set (commands.h) as a GBNF grammar over the text a speech model emits, for
// decoding constrained to the set's phrases (runtime/transcribe.h: TranscribeOptions::bias), and the rule that
// chooses between the free and the constrained hypothesis of a phrase.
//   command_gbnf(set)          every `say` phrase, each {slot} expanded to its values: enum values as declared,
//                              numbers in range spoken as words ("seventy-five", "seventy five", "one hundred and
//                              five") or digits ("75"; a number slot also "two point five", "2.5"); the first
//                              letter of each word in either case; an optional leading "please"/"okay", commas
//                              between words, a final . ! or ?. Slot values are emitted as a character trie, so
//                              the grammar is small and the matcher (grammar/matcher.h) walks it lazily: a slot
//                              of more than kMaxSpokenValues integers gets a generic number-word/digit rule instead
//                              (its range is still checked by match()).
//   spoken_forms(v)            the ways the grammar lets integer v be said; every one normalises back to v
//   choose(set, free, biased, margin)  the action of a phrase decoded twice (docs/voice.md "Biased decoding")
//   choice_json(set, free, biased, margin)  that action as `sotto listen --bias` prints it (the CLI and the wasm ABI)
// Does not: decode (runtime/transcribe.h), or decide anything match() does not (slots, confirm come from match()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "voice/commands.h"

namespace sotto::voice {

inline constexpr int64_t kMaxSpokenValues = 2000;
// choose()'s default margin (mean log-prob per token), tuned on the tuning split of tools/eval/voice-commands.py.
inline constexpr float kDefaultBiasMargin = 0.5f;

std::vector<std::string> spoken_forms(int64_t v);
std::string command_gbnf(const CommandSet& set);

// One hypothesis: its text, whether decoding ended (eos) rather than ran out, its mean log-probability per
// token (eos included) under the model's unconstrained distribution.
struct Hypothesis {
  std::string text;
  bool complete = false;
  double mean_logprob = 0;
};

struct Choice {
  Match match;
  std::string text;      // the text matched
  bool biased = false;   // the constrained hypothesis was taken
};

// The free text when it is a command (or no constrained decode ran); else the constrained text when it is
// complete and its mean log-prob is within `margin` of the free one's and it matches; else not a command
// ("no command matches", or the free text's own reason).
Choice choose(const CommandSet& set, const Hypothesis& free, const Hypothesis* biased, double margin);

// A hypothesis's mean log-prob from its sum and token count (-1e9 when nothing was scored).
double mean_logprob(double sum, int n);

// choose()'s action as JSON fields (no braces): "text" (the text matched), the action (match_fields), "decoded"
// ("free" | "command"), "heard" (the free text, when the command one was taken), "logprob_free" and, when a
// constrained decode ran (biased non-null), "logprob_command" (null unless it completed) and "command_text".
std::string choice_json(const CommandSet& set, const Hypothesis& free, const Hypothesis* biased, double margin);

}  // namespace sotto::voice
