// commands.h — the voice loop's command layer: a command set declared as JSON (docs/voice.md) and the mapping of a
// recognised utterance to one action of that set, or to "not a command".
//   CommandSet::parse(json_text, source)   checks the set; a mistake is one Error naming the command and field
//   match(set, text) -> Match               {command (index, -1: none), slots, confirm, reason}
// Matching is exact after normalisation, so speech outside the set never becomes an action: the utterance is
// lower-cased, punctuation dropped, number words read as numbers ("twenty five" -> 25, "one hundred and five" ->
// 105), a few polite or hesitation words dropped at the start and end ("please", "okay", "um", ...); then it must
// be one of a command's phrases word for word, each {slot} taking one value of its type: an enum value (its words),
// an integer in [minimum, maximum], a number (digits, one decimal point). An utterance that fits two commands is
// not a command either (ambiguous, both named in the reason).
// Does not: recognise speech (runtime/transcribe.h does), bias the speech decoder toward the phrases
// (command-grammar.h builds the grammar for that), or run the action (the caller does; `confirm` says it must ask first).
#pragma once

#include <string>
#include <vector>

namespace sotto::voice {

struct Slot {
  enum class Type { Enum, Integer, Number };
  std::string name;
  Type type = Type::Enum;
  std::vector<std::string> values;                    // Enum: as declared
  std::vector<std::vector<std::string>> value_words;  // Enum: each value's words, normalised (parse() fills them)
  double minimum = -1e300, maximum = 1e300;
};

// One element of a phrase as parse() compiles it: a literal word (normalised like an utterance), or a slot.
struct PhraseElem {
  int slot = -1;     // index into the command's slots; -1: the literal `word`
  std::string word;
};

struct Command {
  std::string name;
  std::vector<std::string> phrases;                 // as declared
  std::vector<std::vector<PhraseElem>> compiled;    // each phrase as words and slots (parse() fills them)
  std::vector<Slot> slots;
  bool confirm = false;                             // destructive: the caller asks before it acts
};

struct CommandSet {
  std::vector<Command> commands;
  static CommandSet parse(const std::string& json_text, const std::string& source);
};

struct SlotValue {
  std::string name;
  std::string text;      // Enum: the value as declared
  double number = 0;     // Integer and Number
  bool is_number = false;
};

struct Match {
  int command = -1;                 // index into CommandSet::commands; -1: not a command
  std::vector<SlotValue> slots;     // in the order of the command's declaration
  bool confirm = false;
  std::string reason;               // when not a command: why ("no command matches", "ambiguous: a, b", "empty")
};

// The words of an utterance after normalisation (exposed for tests and the docs' examples).
std::vector<std::string> normalise(const std::string& text);

Match match(const CommandSet& set, const std::string& text);

// Whether the utterance could be the start of a longer one of the set's phrases: it ends inside a phrase (after
// "turn on the lights" when "turn on the lights in the {room}" is one), inside an enum value ("loading" of "loading
// bay") or with a number that may still grow into another value of its slot ("twenty" of 0..100, which "twenty
// five" continues). The early end of speech (runtime/transcribe.h EndpointOptions) waits for such a phrase.
bool may_continue(const CommandSet& set, const std::string& text);

// The action as one line of JSON: {"command": name, "slots": {...}, "confirm": bool} or
// {"command": null, "reason": "..."}; match_fields() is the same without the braces, for a caller that puts
// other fields beside them.
std::string match_fields(const CommandSet& set, const Match& m);
std::string match_json(const CommandSet& set, const Match& m);

}  // namespace sotto::voice
