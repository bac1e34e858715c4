// test-generate.cpp — the generation loop with a scripted fake Model and a tiny fake Tokenizer defined here
// (the loop's logic does not depend on real weights): stop strings across token boundaries, UTF-8 held
// back, end-of-generation, max tokens, cancellation, chunked prefill, context limits, special tokens.
#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "models/model.h"
#include "runtime/generate.h"
#include "runtime/sampler.h"
#include "text/tokenizer.h"

using namespace sotto;

namespace {

// A model whose "next token" after position p is script[p - script_start] (greedy picks it: the logits
// are one-hot-ish). It records each forward call. When `hash_mode`, the next token instead depends on
// every token in the cache, so feeding the prompt out of order or twice would change the answer.
class FakeModel final : public Model {
 public:
  FakeModel(int n_vocab, std::vector<int32_t> script, int script_start)
      : script_(std::move(script)), script_start_(script_start) {
    cfg_.n_vocab = n_vocab;
  }
  const ModelConfig& config() const override { return cfg_; }
  KvCache new_cache(int n_ctx, DType) const override {
    KvCache c;
    c.n_ctx = n_ctx;
    return c;
  }
  std::vector<float> forward(KvCache& cache, const int32_t* tokens, int n_tokens, bool all_logits) override {
    if (cache.n_past + n_tokens > cache.n_ctx) fail("fake: cache overflow");
    calls.push_back({cache.n_past, std::vector<int32_t>(tokens, tokens + n_tokens)});
    history.resize(size_t(cache.n_past));
    history.insert(history.end(), tokens, tokens + n_tokens);
    cache.n_past += n_tokens;
    const int pos = cache.n_past - 1;
    int32_t next = 0;
    if (hash_mode) {
      uint64_t h = 1469598103934665603ULL;
      for (size_t i = 0; i < history.size(); ++i) h = (h ^ uint64_t(history[i] + 7 * i)) * 1099511628211ULL;
      next = int32_t(h % uint64_t(cfg_.n_vocab));
    } else {
      const int i = pos - script_start_;
      next = (i >= 0 && size_t(i) < script_.size()) ? script_[size_t(i)] : 0;
    }
    std::vector<float> logits(size_t(cfg_.n_vocab), 0.0f);
    if (soft) {  // every token plausible, `next` a bit more so; never the eog token 0
      for (size_t i = 0; i < logits.size(); ++i) logits[i] = float((i * 7 + size_t(next)) % 5) * 0.3f;
      logits[0] = -1e9f;
    }
    logits[size_t(next)] += 10.0f * !soft + 1.0f * soft;
    return logits;
  }
  size_t weight_bytes() const override { return 0; }

  struct Call {
    int n_past;
    std::vector<int32_t> tokens;
  };
  std::vector<Call> calls;
  std::vector<int32_t> history;
  bool hash_mode = false;
  bool soft = false;

 private:
  ModelConfig cfg_;
  std::vector<int32_t> script_;
  int script_start_;
};

// Token id = index into `pieces`; id 0 is the end-of-generation token, id 1 a special control token.
class FakeTokenizer final : public Tokenizer {
 public:
  explicit FakeTokenizer(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {}
  std::vector<int32_t> encode(std::string_view text, bool, bool) const override {
    std::vector<int32_t> out;
    for (char ch : text) out.push_back(token_id(std::string_view(&ch, 1)));
    return out;
  }
  std::string token_to_piece(int32_t id) const override { return pieces_.at(size_t(id)); }
  int32_t n_vocab() const override { return int32_t(pieces_.size()); }
  int32_t bos() const override { return -1; }
  int32_t eos() const override { return 0; }
  bool is_eog(int32_t id) const override { return id == 0; }
  bool is_special(int32_t id) const override { return id <= 1; }
  int32_t token_id(std::string_view piece) const override {
    for (size_t i = 0; i < pieces_.size(); ++i)
      if (pieces_[i] == piece) return int32_t(i);
    return -1;
  }
  std::string apply_chat_template(const std::vector<ChatMessage>& m, bool) const override {
    std::string s;
    for (const auto& x : m) s += x.content;
    return s;
  }

 private:
  std::vector<std::string> pieces_;
};

// Vocabulary: 0 <eos>, 1 <ctl>, then text pieces; the euro sign is split over tokens 10 and 11, the
// emoji U+1F600 (F0 9F 98 80) over 12, 13, 14.
const std::vector<std::string> kPieces = {
    "<eos>", "<ctl>", "Hel", "lo ", "wor", "ld", "!", "x", "END", "a",
    "\xE2\x82", "\xAC", "\xF0", "\x9F\x98", "\x80", "p0", "p1", "p2", "p3", "p4",
};

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

struct Run {
  GenerateResult res;
  std::vector<std::string> pieces;  // what the callback received
};

const std::vector<int32_t> kPrompt = {15, 16, 17};

Run run(const std::vector<int32_t>& script, GenerateParams gp, int n_ctx = 64,
        std::function<bool(const std::string&, int)> cb = {}, const std::vector<int32_t>& prompt = kPrompt) {
  FakeModel model(int(kPieces.size()), script, int(prompt.size()) - 1);
  FakeTokenizer tok(kPieces);
  SamplerParams sp;
  sp.temperature = 0.0f;
  auto chain = make_chain(sp);
  KvCache cache = model.new_cache(n_ctx, DType::F32);
  Run r;
  r.res = generate(model, cache, tok, chain, prompt, gp, [&](std::string_view piece) {
    r.pieces.emplace_back(piece);
    return cb ? cb(std::string(piece), int(r.pieces.size())) : true;
  });
  return r;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x;
  return s;
}

}  // namespace

TEST(Generate, StopsAtEogWithoutEmittingIt) {
  GenerateParams gp;
  auto r = run({2, 3, 4, 5, 0, 6, 6}, gp);
  EXPECT_EQ(r.res.stats.stop, StopReason::Eog);
  EXPECT_EQ(r.res.text, "Hello world");
  EXPECT_EQ(joined(r.pieces), "Hello world");
  EXPECT_EQ(r.res.tokens, (std::vector<int32_t>{2, 3, 4, 5, 0}));
  EXPECT_EQ(r.res.stats.n_generated, 5);
  EXPECT_EQ(r.res.stats.n_decode, 4);  // the eog token is never run
  EXPECT_EQ(r.res.stats.n_prompt, 3);
}

TEST(Generate, MaxTokens) {
  GenerateParams gp;
  gp.max_tokens = 3;
  auto r = run({2, 3, 4, 5, 0}, gp);
  EXPECT_EQ(r.res.stats.stop, StopReason::MaxTokens);
  EXPECT_EQ(r.res.text, "Hello wor");
  EXPECT_EQ(r.res.stats.n_generated, 3);
  EXPECT_EQ(r.res.stats.n_decode, 2);  // no forward call for a token that will not be continued
  gp.max_tokens = 0;
  auto z = run({2, 3}, gp);
  EXPECT_EQ(z.res.stats.n_generated, 0);
  EXPECT_TRUE(z.pieces.empty());
  EXPECT_EQ(z.res.stats.stop, StopReason::MaxTokens);
}

TEST(Generate, StopStringAcrossTokenBoundaries) {
  GenerateParams gp;
  gp.stop = {"lo wo"};  // spans "Hel" | "lo " | "wor"
  auto r = run({2, 3, 4, 5, 0}, gp);
  EXPECT_EQ(r.res.stats.stop, StopReason::StopString);
  EXPECT_EQ(r.res.text, "Hel");
  EXPECT_EQ(joined(r.pieces), "Hel");
  for (const auto& p : r.pieces) EXPECT_EQ(p.find('w'), std::string::npos);
  EXPECT_EQ(r.res.stats.n_generated, 3);
}

TEST(Generate, HeldBackTextIsReleasedWhenNoStopFollows) {
  GenerateParams gp;
  gp.stop = {"low", "ENDx"};
  auto r = run({2, 3, 8, 9, 7, 0}, gp);  // "Hel" "lo " "END" "a" "x"
  EXPECT_EQ(r.res.stats.stop, StopReason::Eog);
  EXPECT_EQ(joined(r.pieces), "Hello ENDax");
  // "Hel" ends with "l", a prefix of "low": only "He" may be emitted after the first token.
  ASSERT_FALSE(r.pieces.empty());
  EXPECT_EQ(r.pieces[0], "He");
}

TEST(Generate, EarliestStopStringWins) {
  GenerateParams gp;
  gp.stop = {"world", "lo"};
  auto r = run({2, 3, 4, 5, 0}, gp);
  EXPECT_EQ(r.res.stats.stop, StopReason::StopString);
  EXPECT_EQ(r.res.text, "Hel");
}

TEST(Generate, StopStringAtTheVeryEndAndWholeToken) {
  GenerateParams gp;
  gp.stop = {"END"};
  auto r = run({9, 8, 9, 0}, gp);
  EXPECT_EQ(r.res.stats.stop, StopReason::StopString);
  EXPECT_EQ(r.res.text, "a");
}

TEST(Generate, Utf8SequencesAreNeverSplit) {
  GenerateParams gp;
  // "a" "E2 82" "AC" "F0" "9F 98" "80" "a": the euro sign and an emoji split over tokens.
  auto r = run({9, 10, 11, 12, 13, 14, 9, 0}, gp);
  EXPECT_EQ(r.res.stats.stop, StopReason::Eog);
  EXPECT_EQ(r.res.text, "a\xE2\x82\xAC\xF0\x9F\x98\x80" "a");
  for (const auto& p : r.pieces) EXPECT_TRUE(valid_utf8(p)) << "split sequence in a piece";
  EXPECT_EQ(joined(r.pieces), r.res.text);
}

TEST(Generate, IncompleteUtf8AtTheEndBecomesReplacementChar) {
  GenerateParams gp;
  gp.max_tokens = 3;
  auto r = run({9, 12, 13, 14}, gp);  // stops after "a" F0 9F 98
  EXPECT_EQ(r.res.stats.stop, StopReason::MaxTokens);
  EXPECT_EQ(r.res.text, "a\xEF\xBF\xBD");
  for (const auto& p : r.pieces) EXPECT_TRUE(valid_utf8(p));
}

TEST(Generate, CancelFromCallback) {
  GenerateParams gp;
  auto r = run({2, 3, 4, 5, 6, 0}, gp, 64, [](const std::string&, int n) { return n < 2; });
  EXPECT_EQ(r.res.stats.stop, StopReason::Cancelled);
  EXPECT_EQ(r.pieces.size(), 2u);
  EXPECT_EQ(r.res.text, "Hello ");
  EXPECT_EQ(r.res.stats.n_generated, 2);
}

TEST(Generate, SpecialTokensHiddenUnlessAsked) {
  GenerateParams gp;
  auto r = run({2, 1, 3, 0}, gp);
  EXPECT_EQ(r.res.text, "Hello ");
  gp.emit_special = true;
  auto s = run({2, 1, 3, 0}, gp);
  EXPECT_EQ(s.res.text, "Hel<ctl>lo ");
}

TEST(Generate, ChunkedPrefillFeedsTokensInOrder) {
  std::vector<int32_t> prompt;
  for (int i = 0; i < 23; ++i) prompt.push_back(2 + (i * 7) % 18);
  auto go = [&](int n_batch, std::vector<FakeModel::Call>* calls) {
    FakeModel model(int(kPieces.size()), {}, 0);
    model.hash_mode = true;
    FakeTokenizer tok(kPieces);
    SamplerParams sp;
    sp.temperature = 0.0f;
    auto chain = make_chain(sp);
    KvCache cache = model.new_cache(64, DType::F32);
    GenerateParams gp;
    gp.n_batch = n_batch;
    gp.max_tokens = 6;
    auto res = generate(model, cache, tok, chain, prompt, gp);
    if (calls) *calls = model.calls;
    return res.tokens;
  };
  std::vector<FakeModel::Call> calls;
  const auto ref = go(1000, nullptr);
  for (int nb : {1, 4, 7, 22, 23, 256}) {
    EXPECT_EQ(go(nb, &calls), ref) << "n_batch " << nb;
    // Prefill calls cover the prompt in order, each at most n_batch long, at consecutive positions.
    std::vector<int32_t> fed;
    size_t i = 0;
    for (; i < calls.size() && int(fed.size()) < 23; ++i) {
      EXPECT_EQ(calls[i].n_past, int(fed.size()));
      EXPECT_LE(int(calls[i].tokens.size()), nb);
      fed.insert(fed.end(), calls[i].tokens.begin(), calls[i].tokens.end());
    }
    EXPECT_EQ(fed, prompt);
    EXPECT_EQ(i, size_t((23 + nb - 1) / nb));
    for (; i < calls.size(); ++i) EXPECT_EQ(calls[i].tokens.size(), 1u);  // decode: one at a time
  }
}

TEST(Generate, PromptOverflowIsAnError) {
  GenerateParams gp;
  std::vector<int32_t> prompt(10, 9);
  try {
    run({2}, gp, 8, {}, prompt);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("prompt of 10 tokens does not fit the context of 8"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(run({2}, gp, 8, {}, {}), Error);  // empty prompt
}

TEST(Generate, ContinuesAnExistingCache) {
  FakeModel model(int(kPieces.size()), {9, 7, 0}, 6);  // prompt of 2 at positions 5, 6
  FakeTokenizer tok(kPieces);
  SamplerParams sp;
  sp.temperature = 0.0f;
  auto chain = make_chain(sp);
  KvCache cache = model.new_cache(16, DType::F32);
  cache.n_past = 5;  // an earlier turn
  GenerateParams gp;
  auto res = generate(model, cache, tok, chain, {2, 3}, gp);
  ASSERT_FALSE(model.calls.empty());
  EXPECT_EQ(model.calls[0].n_past, 5);
  EXPECT_EQ(res.text, "ax");
  EXPECT_EQ(cache.n_past, 9);
  cache.n_past = 14;
  try {
    generate(model, cache, tok, chain, {2, 3, 4}, gp);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(14 already used)"), std::string::npos) << e.what();
  }
}

TEST(Generate, SeededSamplingIsReproducible) {
  auto go = [](uint64_t seed) {
    FakeModel model(int(kPieces.size()), {}, 0);
    model.hash_mode = true;
    model.soft = true;  // spread-out logits, so sampling has choices
    FakeTokenizer tok(kPieces);
    SamplerParams sp;
    sp.seed = seed;
    sp.temperature = 1.5f;
    sp.top_k = 0;
    sp.min_p = 0.0f;
    auto chain = make_chain(sp);
    KvCache cache = model.new_cache(64, DType::F32);
    GenerateParams gp;
    gp.max_tokens = 30;
    return generate(model, cache, tok, chain, kPrompt, gp).tokens;
  };
  EXPECT_EQ(go(5), go(5));
  EXPECT_NE(go(5), go(6));
}

TEST(Generate, StopsWhenContextIsFull) {
  GenerateParams gp;
  gp.max_tokens = -1;
  auto r = run({9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, gp, 6);  // 3 prompt + 3 decoded fill 6 positions
  EXPECT_EQ(r.res.stats.stop, StopReason::ContextFull);
  EXPECT_EQ(r.res.stats.n_generated, 4);  // the 4th token is sampled but never run
  EXPECT_EQ(r.res.stats.n_decode, 3);
  EXPECT_EQ(r.res.text, "aaaa");
}

TEST(Generate, SamplerSeesPromptAndAcceptedTokens) {
  struct Recorder final : public Sampler {
    std::string name() const override { return "rec"; }
    void apply(Candidates&) override {}
    void accept(int32_t t) override { accepted.push_back(t); }
    void observe_prompt(const int32_t* t, int n) override { prompt.assign(t, t + n); }
    std::vector<int32_t> accepted, prompt;
  };
  FakeModel model(int(kPieces.size()), {2, 3, 0}, 2);
  FakeTokenizer tok(kPieces);
  SamplerChain chain;
  auto rec = std::make_unique<Recorder>();
  Recorder* rp = rec.get();
  chain.add(std::move(rec));
  chain.add(make_greedy());
  KvCache cache = model.new_cache(16, DType::F32);
  GenerateParams gp;
  auto res = generate(model, cache, tok, chain, kPrompt, gp);
  EXPECT_EQ(rp->prompt, kPrompt);
  EXPECT_EQ(rp->accepted, (std::vector<int32_t>{2, 3, 0}));
  EXPECT_EQ(res.text, "Hello ");
  EXPECT_EQ(cache.n_past, 5);  // prompt + two decoded tokens; the eog was never run
}

TEST(StopMatcher, Utf8CompletePrefix) {
  EXPECT_EQ(utf8_complete_prefix(""), 0u);
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  EXPECT_EQ(utf8_complete_prefix("a\xE2\x82"), 1u);
  EXPECT_EQ(utf8_complete_prefix("a\xE2\x82\xAC"), 4u);
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(utf8_complete_prefix("\x80\x80"), 2u);  // stray continuation bytes are not waited on
  EXPECT_EQ(utf8_complete_prefix("a\xFF"), 2u);     // invalid lead byte
}

TEST(StopMatcher, FeedByteByByte) {
  // Every split of the text into single bytes gives the same output as one push.
  const std::string text = "one \xE2\x82\xAC two <|stop|> three";
  StopMatcher whole({"<|stop|>"});
  const std::string expect = whole.push(text);
  EXPECT_TRUE(whole.stopped());
  EXPECT_EQ(expect, "one \xE2\x82\xAC two ");
  StopMatcher bytes({"<|stop|>"});
  std::string got;
  for (char ch : text) {
    std::string out = bytes.push(std::string_view(&ch, 1));
    EXPECT_TRUE(valid_utf8(out));
    got += out;
  }
  EXPECT_EQ(got, expect);
  EXPECT_EQ(bytes.matched(), "<|stop|>");
}
