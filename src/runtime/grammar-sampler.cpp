// grammar-sampler.cpp — see grammar-sampler.h.
#include "runtime/grammar-sampler.h"

#include <limits>

#include "core/error.h"
#include "text/tokenizer.h"

namespace sotto {

namespace {

// Id-indexed fast paths, valid while the candidates are a permutation of all ids with data[id].id == id
// where touched (right after Candidates::reset); each returns false (having changed only tokens the
// general path drops anyway) when that does not hold.
bool mark_forbidden(Candidates& c, const uint32_t* mask, int32_t n_vocab) {
  const int32_t n_words = (n_vocab + 31) / 32;
  for (int32_t w = 0; w < n_words; ++w) {
    uint32_t bits = ~mask[w];
    if (w == n_words - 1 && (n_vocab & 31)) bits &= (uint32_t(1) << (n_vocab & 31)) - 1;
    while (bits) {
      const int32_t id = w * 32 + __builtin_ctz(bits);
      bits &= bits - 1;
      if (c.data[size_t(id)].id != id) return false;
      c.data[size_t(id)].logit = -std::numeric_limits<float>::infinity();
    }
  }
  return true;
}

bool gather_allowed(Candidates& c, const uint32_t* mask, int32_t n_vocab, std::vector<TokenData>& out) {
  out.clear();
  const int32_t n_words = (n_vocab + 31) / 32;
  for (int32_t w = 0; w < n_words; ++w) {
    uint32_t bits = mask[w];
    while (bits) {
      const int32_t id = w * 32 + __builtin_ctz(bits);
      bits &= bits - 1;
      if (c.data[size_t(id)].id != id) return false;
      out.push_back(c.data[size_t(id)]);
    }
  }
  c.data.swap(out);
  return true;
}

}  // namespace

void GrammarSampler::apply(Candidates& c) {
  const uint32_t* mask = matcher_.mask();
  const int32_t n_vocab = matcher_.n_vocab();
  c.has_probs = false;
  c.selected = -1;
  if (c.data.size() == size_t(n_vocab)) {  // nothing dropped yet: mark the few forbidden or keep the few allowed
    size_t allowed = 0;
    for (int32_t w = 0; w < matcher_.n_words(); ++w) allowed += size_t(__builtin_popcount(mask[w]));
    const bool ok = allowed * 2 >= size_t(n_vocab) ? mark_forbidden(c, mask, n_vocab)
                                                   : gather_allowed(c, mask, n_vocab, scratch_);
    if (ok) {
      c.sorted = false;
      return;
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < c.data.size(); ++i) {
    const int32_t id = c.data[i].id;
    if (id >= 0 && id < n_vocab && ((mask[id >> 5] >> (id & 31)) & 1)) c.data[kept++] = c.data[i];
  }
  c.data.resize(kept);
}

void GrammarSampler::accept(int32_t token) {
  if (!matcher_.accept_token(token)) {
    fail("grammar sampler: token ", std::to_string(token), " is not allowed by the grammar here (put the grammar "
         "link first in the chain)");
  }
}

std::vector<int32_t> GrammarSampler::forced_tokens() {
  if (!tok_) return matcher_.forced_tokens();
  const std::string forced = matcher_.forced_bytes();
  if (forced.empty()) return {};
  std::vector<int32_t> ids = tok_->encode(forced, /*add_bos=*/false, /*parse_special=*/false);
  std::string spelled;
  for (int32_t id : ids) spelled += tok_->token_to_piece(id);
  if (spelled != forced) ids = matcher_.forced_tokens();  // the tokenizer rewrote the text (e.g. a space prefix)
  if (!ids.empty()) ids.pop_back();
  return ids;
}

TriggeredGrammarSampler::TriggeredGrammarSampler(std::shared_ptr<grammar::CompiledGrammar> cg, const Tokenizer& tok,
                                                 char trigger)
    : inner_(std::move(cg), &tok), tok_(tok), trigger_(trigger) {}

TriggeredGrammarSampler::Kind TriggeredGrammarSampler::kind(int32_t id) {
  if (kinds_.empty()) {
    kinds_.resize(size_t(tok_.n_vocab()));
    for (int32_t t = 0; t < tok_.n_vocab(); ++t) {
      const std::string piece = tok_.is_special(t) ? std::string() : tok_.token_to_piece(t);
      const size_t first = piece.find_first_not_of(" \t\n\r");
      kinds_[size_t(t)] = piece.empty() || tok_.is_special(t) ? kOther
                          : first == std::string::npos          ? kBlank
                          : piece[first] == trigger_            ? kTrigger
                                                                : kOther;
    }
  }
  return id >= 0 && size_t(id) < kinds_.size() ? Kind(kinds_[size_t(id)]) : kOther;
}

void TriggeredGrammarSampler::apply(Candidates& c) {
  if (state_ == State::on) return inner_.apply(c);
  if (state_ == State::off) return;
  // Undecided: a token that opens with the trigger must be one the grammar may start with (no leading blank).
  grammar::GrammarMatcher& m = inner_.matcher();
  size_t kept = 0;
  for (size_t i = 0; i < c.data.size(); ++i) {
    const int32_t id = c.data[i].id;
    if (kind(id) == kTrigger && (tok_.token_to_piece(id)[0] != trigger_ || !m.is_allowed(id))) continue;
    c.data[kept++] = c.data[i];
  }
  if (kept != c.data.size()) {
    c.data.resize(kept);
    c.has_probs = false;
    c.selected = -1;
  }
}

void TriggeredGrammarSampler::accept(int32_t token) {
  if (state_ == State::on) return inner_.accept(token);
  if (state_ == State::off) return;
  const Kind k = kind(token);
  if (k == kTrigger) {
    inner_.accept(token);
    state_ = State::on;
  } else if (k == kOther) {
    state_ = State::off;
  }
}

void TriggeredGrammarSampler::reset() {
  inner_.reset();
  state_ = State::undecided;
}

std::vector<int32_t> TriggeredGrammarSampler::forced_tokens() {
  return state_ == State::on ? inner_.forced_tokens() : std::vector<int32_t>{};
}

std::unique_ptr<GrammarSampler> make_grammar_sampler(std::shared_ptr<grammar::CompiledGrammar> cg,
                                                     const Tokenizer* tok) {
  if (!cg) fail("grammar sampler: no compiled grammar");
  return std::make_unique<GrammarSampler>(std::move(cg), tok);
}

}  // namespace sotto
