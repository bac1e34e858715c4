// fuzz-commands.cpp — libFuzzer target: the voice command layer (apps/voice/commands.h) on arbitrary input: a command
// set (the bytes before the first NUL) and an utterance (the rest). Properties: a set either checks or is refused with
// an Error (never a crash or a hang); on a set that checks, match() gives one command with a value for each of its
// slots, inside the slot's range or enum, or "not a command" with a reason, and match_json() writes JSON; may_continue()
// answers.
#include <string>

#include "core/error.h"
#include "core/json.h"
#include "fuzz.h"
#include "voice/commands.h"

using namespace sotto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  const std::string set_text = in.substr(0, nul), utterance = nul == std::string::npos ? std::string() : in.substr(nul + 1);
  voice::CommandSet set;
  try {
    set = voice::CommandSet::parse(set_text, "fuzz.json");
  } catch (const Error&) {
    return 0;
  }
  const voice::Match m = voice::match(set, utterance);
  if (m.command < 0) {
    FUZZ_CHECK(!m.reason.empty());
  } else {
    const voice::Command& c = set.commands[size_t(m.command)];
    FUZZ_CHECK(m.slots.size() == c.slots.size());
    for (size_t i = 0; i < m.slots.size(); i++) {
      const voice::Slot& s = c.slots[i];
      if (s.type == voice::Slot::Type::Enum) {
        bool found = false;
        for (const auto& v : s.values) found |= v == m.slots[i].text;
        FUZZ_CHECK(found);
      } else {
        FUZZ_CHECK(m.slots[i].is_number && m.slots[i].number >= s.minimum && m.slots[i].number <= s.maximum);
      }
    }
  }
  // may_continue (the early end of speech's guard) on the same: an answer, never a crash or a hang; an utterance
  // that normalises to nothing may always go on.
  if (voice::normalise(utterance).empty()) FUZZ_CHECK(voice::may_continue(set, utterance));
  else (void)voice::may_continue(set, utterance);
  try {
    json::parse(voice::match_json(set, m), "match");
  } catch (const Error& e) {
    std::fprintf(stderr, "match_json wrote what parse() refuses: %s\n", e.what());
    FUZZ_CHECK(false);
  }
  return 0;
}
