// commands-abi.cpp — the voice command matcher (apps/voice/commands.h, what `sotto listen --commands` runs) as a C ABI
// for the wasm build's JS wrapper (wasm/asr.mjs SottoCommands):
//   sotto_cmd_create(json, len, source)   a command set from its JSON text (len bytes, not NUL-terminated), checked as
//                                         the CLI checks it: a mistake traps with the CLI's one-line message naming
//                                         `source`, the command and the field
//   sotto_cmd_match(set, text, len)       an utterance -> the action as the CLI prints it (match_json): {"command":
//                                         name, "slots": {...}, "confirm": bool} or {"command": null, "reason": "..."}
//   sotto_cmd_describe(set)               the set for a page to show: [{"name", "confirm", "say": [phrases]}]
//   sotto_cmd_grammar(set)                the set as a GBNF grammar (voice::command_gbnf) for biased decoding
//                                         (wasm/asr-abi.cpp sotto_asr_bias)
//   sotto_cmd_choose(set, json, len, margin)  a phrase decoded twice -> its action as `sotto listen --bias` prints
//                                         it (voice::choice_json: "text", the action, "decoded", "heard",
//                                         "logprob_free", "logprob_command", "command_text"); json is the phrase as
//                                         sotto_asr_take gives it ("text", "hit_token_cap", "logprob", "n_scored",
//                                         "biased" when the constrained decode ran)
//   sotto_cmd_out_len(set)                the length of the last result (all are valid until the next call)
//   sotto_cmd_free(set)
// Errors: sotto::fail() traps with its one-line message (sotto_last_error, wasm/sotto-abi.cpp).
// Does not: recognise speech (asr-abi.cpp) or run the action (the page does, and asks first where confirm is true).
#include <cstdint>
#include <memory>
#include <string>

#include "core/json.h"
#include "voice/command-grammar.h"
#include "voice/commands.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace {

struct CmdSession {
  sotto::voice::CommandSet set;
  std::string out;
};

}  // namespace

SOTTO_EXPORT CmdSession* sotto_cmd_create(const char* json, uint32_t len, const char* source) {
  auto s = std::make_unique<CmdSession>();
  s->set = sotto::voice::CommandSet::parse(std::string(json, len), source);
  return s.release();
}

SOTTO_EXPORT void sotto_cmd_free(CmdSession* s) { delete s; }

SOTTO_EXPORT const char* sotto_cmd_match(CmdSession* s, const char* text, uint32_t len) {
  s->out = sotto::voice::match_json(s->set, sotto::voice::match(s->set, std::string(text, len)));
  return s->out.c_str();
}

SOTTO_EXPORT const char* sotto_cmd_describe(CmdSession* s) {
  s->out = "[";
  for (size_t i = 0; i < s->set.commands.size(); i++) {
    const sotto::voice::Command& c = s->set.commands[i];
    s->out += std::string(i ? ", " : "") + "{\"name\": " + sotto::json::quote(c.name) + ", \"confirm\": " + (c.confirm ? "true" : "false") +
              ", \"say\": [";
    for (size_t k = 0; k < c.phrases.size(); k++) s->out += (k ? ", " : "") + sotto::json::quote(c.phrases[k]);
    s->out += "]}";
  }
  s->out += "]";
  return s->out.c_str();
}

SOTTO_EXPORT const char* sotto_cmd_grammar(CmdSession* s) {
  s->out = sotto::voice::command_gbnf(s->set);
  return s->out.c_str();
}

SOTTO_EXPORT const char* sotto_cmd_choose(CmdSession* s, const char* json, uint32_t len, double margin) {
  const sotto::json::Value v = sotto::json::parse(std::string_view(json, len), "phrase");
  auto hyp = [](const sotto::json::Value& h, bool complete) {
    return sotto::voice::Hypothesis{h.at("text").str(), complete,
                                    sotto::voice::mean_logprob(h.at("logprob").number(), int(h.at("n_scored").number()))};
  };
  const sotto::voice::Hypothesis free = hyp(v, !v.at("hit_token_cap").boolean());
  const sotto::json::Value* b = v.find("biased");
  const sotto::voice::Hypothesis biased = b ? hyp(*b, b->at("complete").boolean()) : sotto::voice::Hypothesis{};
  s->out = "{" + sotto::voice::choice_json(s->set, free, b ? &biased : nullptr, margin) + "}";
  return s->out.c_str();
}

SOTTO_EXPORT uint32_t sotto_cmd_out_len(CmdSession* s) { return uint32_t(s->out.size()); }
