// test-voice-command-grammar.cpp — the command set as a grammar (voice/command-grammar.h) and biased decoding
// (runtime/transcribe.h TranscribeOptions::bias): the grammar accepts every phrase of the factory set with every
// slot value (numbers in range in each spoken form, casing, leading "please", final punctuation) and rejects
// speech outside the set; every spoken form of a number reads back as that number (the matcher's number words);
// choose() takes the constrained text only when it is complete, close enough and a command; on real speech
// (espeak-ng, the bundled model) an out-of-set sentence decoded twice is "not a command".
// Not tested here because it does not hold: an in-set spoken command that the free decode mishears is not
// recovered by --bias with the bundled model (it scores every command phrase >= 10 nats per token below its own
// scribe sentence; docs/voice.md "Biased decoding").
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "audio/resample.h"
#include "audio/wav.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "models/asr-model.h"
#include "runtime/transcribe.h"
#include "text/tokenizer.h"
#include "voice/command-grammar.h"
#include "espeak.h"

namespace sotto::voice {
namespace {

const std::string kSrc = SOTTO_SOURCE_DIR;

CommandSet factory() {
  std::ifstream f(kSrc + "/web/voice/factory.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return CommandSet::parse(ss.str(), "factory.json");
}

std::shared_ptr<grammar::CompiledGrammar> byte_grammar(const CommandSet& set) {
  std::vector<std::string> pieces;
  for (int b = 0; b < 256; ++b) pieces.push_back(std::string(1, char(b)));
  pieces.push_back("</s>");
  auto trie = std::make_shared<grammar::TokenTrie>(pieces, std::vector<int32_t>{256});
  return std::make_shared<grammar::CompiledGrammar>(grammar::parse_gbnf(command_gbnf(set), "set"), trie);
}

bool full_match(grammar::CompiledGrammar& cg, const std::string& s) {
  const int32_t st = cg.advance(cg.initial_state(), s);
  return st >= 0 && cg.can_end(st);
}

// Every text of a compiled phrase with the slot values listed (numbers: each given value in each spoken form).
void expand(const Command& c, const std::vector<PhraseElem>& ph, size_t e, const std::string& cur,
            const std::vector<std::vector<std::string>>& values, std::vector<std::string>& out) {
  if (e == ph.size()) {
    out.push_back(cur);
    return;
  }
  const std::string sep = e ? " " : "";
  if (ph[e].slot < 0) return expand(c, ph, e + 1, cur + sep + ph[e].word, values, out);
  for (const auto& v : values[size_t(ph[e].slot)]) expand(c, ph, e + 1, cur + sep + v, values, out);
}

TEST(VoiceCommandGrammar, SpokenFormsReadBackAsTheirNumber) {
  for (int64_t v : {0, 1, 9, 10, 13, 20, 21, 75, 99, 100, 101, 105, 120, 240, 999, 1000, 1001, 2300, 12345}) {
    for (const auto& f : spoken_forms(v)) EXPECT_EQ(normalise(f), std::vector<std::string>{std::to_string(v)}) << f;
  }
  EXPECT_EQ(spoken_forms(75), (std::vector<std::string>{"75", "seventy-five", "seventy five"}));
  EXPECT_EQ(spoken_forms(105), (std::vector<std::string>{"105", "one hundred and five", "one hundred five"}));
}

TEST(VoiceCommandGrammar, AcceptsEveryPhraseWithEverySlotValue) {
  const CommandSet set = factory();
  auto cg = byte_grammar(set);
  size_t n = 0;
  for (const auto& c : set.commands) {
    std::vector<std::vector<std::string>> values;
    for (const auto& s : c.slots) {
      std::vector<std::string> v;
      if (s.type == Slot::Type::Enum) {
        for (const auto& w : s.value_words) {
          std::string x;
          for (const auto& y : w) x += (x.empty() ? "" : " ") + y;
          v.push_back(x);
        }
      } else {
        for (int64_t i = int64_t(std::ceil(s.minimum)); i <= int64_t(s.maximum); i++) {
          for (const auto& f : spoken_forms(i)) v.push_back(f);
        }
        if (s.type == Slot::Type::Number) {
          for (const char* d : {"two point five", "2.5", "zero point five"}) v.push_back(d);
        }
      }
      values.push_back(std::move(v));
    }
    for (const auto& ph : c.compiled) {
      std::vector<std::string> texts;
      expand(c, ph, 0, "", values, texts);
      for (const auto& t : texts) {
        ASSERT_TRUE(full_match(*cg, t)) << t;
        std::string cap = t;
        cap[0] = char(std::toupper(static_cast<unsigned char>(cap[0])));
        ASSERT_TRUE(full_match(*cg, " " + cap + ".")) << cap;
        ASSERT_TRUE(full_match(*cg, "Please, " + t + "?")) << t;
        const Match m = match(set, t);
        ASSERT_EQ(m.command, &c - set.commands.data()) << t << ": " << m.reason;
        n++;
      }
    }
  }
  EXPECT_GT(n, 2000u);
  for (const char* t : {"Set line two speed to seventy-five percent.", "Set line 2, speed to 75%.", "Stop line one!",
                        "Log a missing part on line four.", "Turn on the lights in the Loading Bay.", "status report now"}) {
    EXPECT_TRUE(full_match(*cg, t)) << t;
  }
}

TEST(VoiceCommandGrammar, RejectsWhatIsNotACommand) {
  auto cg = byte_grammar(factory());
  for (const char* t : {"", "stop line five", "stop line zero", "Start sertraline 50 mg",
                        "set line two speed to", "set line two speed to one hundred and twenty-one percent",
                        "turn on the lights in the garage", "What is the weather like?", "stop line two three",
                        "clear the defect log log", "cancel the timer", "Stop line two.."}) {
    EXPECT_FALSE(full_match(*cg, t)) << t;
  }
}

TEST(VoiceCommandGrammar, WideNumberSlotsGetAGenericRule) {
  const CommandSet set = CommandSet::parse(
      R"({"commands": [{"name": "go", "say": ["go to {n}"], "slots": {"n": {"type": "integer", "minimum": 0, "maximum": 100000}}}]})",
      "wide");
  const std::string g = command_gbnf(set);
  EXPECT_LT(g.size(), 4000u);
  auto cg = byte_grammar(set);
  for (const char* t : {"go to 12345", "Go to twelve thousand three hundred.", "go to ninety-nine"}) EXPECT_TRUE(full_match(*cg, t)) << t;
  for (const char* t : {"go to", "go to fish"}) EXPECT_FALSE(full_match(*cg, t)) << t;
}

TEST(VoiceCommandGrammar, ChooseTakesTheConstrainedTextOnlyWhenClose) {
  const CommandSet set = factory();
  const Hypothesis heard{"Start sertraline 50 mg.", true, -0.1};
  Hypothesis cmd{"Stop line two.", true, -0.4};
  Choice c = choose(set, heard, &cmd, 0.5);
  EXPECT_TRUE(c.biased);
  EXPECT_EQ(set.commands[size_t(c.match.command)].name, "stop_line");
  EXPECT_TRUE(c.match.confirm);
  EXPECT_EQ(c.text, "Stop line two.");
  cmd.mean_logprob = -0.7;  // too far below: the escape
  c = choose(set, heard, &cmd, 0.5);
  EXPECT_FALSE(c.biased);
  EXPECT_EQ(c.match.command, -1);
  EXPECT_EQ(c.match.reason, "no command matches");
  cmd.mean_logprob = -0.1;
  cmd.complete = false;  // ran out of room: never taken
  EXPECT_EQ(choose(set, heard, &cmd, 0.5).match.command, -1);
  const Hypothesis free_cmd{"start line three", true, -2.0};  // the free text is a command: it stands
  cmd.complete = true;
  c = choose(set, free_cmd, &cmd, 100);
  EXPECT_FALSE(c.biased);
  EXPECT_EQ(set.commands[size_t(c.match.command)].name, "start_line");
  EXPECT_EQ(choose(set, heard, nullptr, 0.5).match.command, -1);
}

TEST(VoiceCommandGrammar, OutOfSetSpeechDecodedTwiceIsNotACommand) {
  if (!have_espeak()) {
    if (std::getenv("CI")) FAIL() << "espeak-ng not installed (tools/install-deps.sh installs it)";
    GTEST_SKIP() << "espeak-ng not installed";
  }
  const CommandSet set = factory();
  auto file = GgufFile::open(kSrc + "/models/sotto-asr-q8_0.gguf");
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  auto model = AsrModel::load(*file, *be);
  auto tok = Tokenizer::from_gguf(*file);
  TranscribeOptions opt;
  opt.bias = std::make_shared<grammar::CompiledGrammar>(grammar::parse_gbnf(command_gbnf(set), "factory"),
                                                        grammar::make_token_trie(*tok));
  Transcriber tr(*model, *tok, opt);
  for (const char* t : {"What is the weather like today?", "Start amoxicillin 500 mg three times daily."}) {
    const std::vector<float> x = speak(t);
    ASSERT_FALSE(x.empty());
    const auto segs = tr.transcribe(x.data(), x.size());
    ASSERT_FALSE(segs.empty()) << t;
    for (const auto& s : segs) {
      ASSERT_TRUE(s.biased.ran);
      if (s.biased.complete) {
        // The constrained text is in the grammar and so a command of the set; it is the escape that says no.
        EXPECT_GE(match(set, s.biased.text).command, 0) << s.biased.text;
      }
      const Hypothesis free{s.text, !s.hit_token_cap, s.n_scored ? s.logprob / s.n_scored : -1e9};
      const Hypothesis biased{s.biased.text, s.biased.complete, s.biased.n_scored ? s.biased.logprob / s.biased.n_scored : -1e9};
      const Choice c = choose(set, free, &biased, kDefaultBiasMargin);
      EXPECT_EQ(c.match.command, -1) << t << " -> " << s.text << " / " << s.biased.text;
      EXPECT_FALSE(c.biased);
    }
  }
}

}  // namespace
}  // namespace sotto::voice
