// bench-evidence.cpp — evidence-constrained decoding (grammar/evidence.h, NoteOptions::evidence): what the mask
// costs and what a note costs with it.
//   EvidenceMask/<vocab>/<words>: a note's free-text values copied from a transcript of <words> words (the
//     bundled samples repeated; 4,000 words is the longest consultation of issue 16), replayed token by token:
//     each step computes the evidence mask at the value's position and advances. Vocabularies: the bundled note
//     model's (3,264 tokens) and a synthetic 150k byte-level one (the size of Llama/Qwen vocabularies).
//     Counter per_token: mean time of one mask; nodes: trie nodes visited per mask.
//   Note/<off|on>: write_note on samples/visit-soap.txt with the bundled model, greedy, one thread, evidence
//     off / on (real time per note; counter ms_per_token: per generated token).
#include <benchmark/benchmark.h>

#include <memory>

#include "core/file.h"
#include "core/gguf.h"
#include "grammar/evidence.h"
#include "grammar/synthetic-vocab.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/loaded-model.h"
#include "scribe/note.h"
#include "text/tokenizer.h"

using namespace sotto;
using namespace sotto::grammar;

namespace {

const std::string kRoot = SOTTO_SOURCE_DIR;

std::string transcript_of(int words) {
  const std::string base = read_file(kRoot + "/samples/visit-soap-conversation.txt") + "\n" +
                           read_file(kRoot + "/samples/hr-interview.txt") + "\n" + read_file(kRoot + "/samples/visit-soap.txt") + "\n";
  std::string t;
  int n = 0;
  while (n < words) {
    t += base;
    n = 0;
    for (size_t i = 1; i < t.size(); ++i) n += t[i] == ' ' && t[i - 1] != ' ';
  }
  return t;
}

std::shared_ptr<const TokenTrie> trie_of(int which) {
  if (which == 0) {
    const std::unique_ptr<GgufFile> f = GgufFile::open(kRoot + "/models/sotto-notes-q8_0.gguf");
    return make_token_trie(*Tokenizer::from_gguf(*f));
  }
  SyntheticVocab v = make_synthetic_vocab(150000);
  return std::make_shared<const TokenTrie>(std::move(v.pieces), v.eog_ids);
}

void EvidenceMask(benchmark::State& state) {
  static std::shared_ptr<const TokenTrie> tries[2];
  const int which = int(state.range(0));
  if (!tries[which]) tries[which] = trie_of(which);
  const TokenTrie& trie = *tries[which];
  const std::string text = transcript_of(int(state.range(1)));
  const SuffixAutomaton sa(mark_word_starts(text));
  // The values a note copies: the sample's findings, as the model writes them (greedy longest-prefix tokens).
  const std::vector<std::string> values = {"a productive cough for 6 days, um, worse at night",
                                           "temperature 38.2, heart rate 96, oxygen saturation 95%", "chest infection",
                                           "amoxicillin", "500 mg", "three times daily", "Tom Hughes and Leila Costa"};
  std::vector<uint32_t> mask(size_t(trie.n_words()));
  int64_t steps = 0, nodes = 0;
  for (auto _ : state) {
    for (const std::string& v : values) {
      EvidencePos p;
      std::string rest = v + "\"";
      while (!rest.empty()) {
        nodes += evidence_mask(trie, sa, p, mask.data());
        ++steps;
        const int32_t id = trie.longest_prefix_token(rest);
        if (id < 0) break;
        for (char c : trie.piece(id)) p = evidence_step(sa, p, uint8_t(c));
        rest.erase(0, trie.piece(id).size());
        if (p.sam < 0) break;
      }
    }
  }
  state.counters["per_token"] = benchmark::Counter(double(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["nodes"] = double(nodes) / double(std::max<int64_t>(1, steps));
  state.counters["sam_states"] = double(sa.n_states());
}
BENCHMARK(EvidenceMask)->ArgNames({"vocab", "words"})->Args({0, 200})->Args({0, 4000})->Args({1, 200})->Args({1, 4000})
    ->Unit(benchmark::kMicrosecond);

void Note(benchmark::State& state) {
  static LoadedModel lm = load_model(kRoot + "/models/sotto-notes-q8_0.gguf", 1, true);
  const NoteTemplate t = load_template("soap", {kRoot});
  const std::string transcript = read_file(kRoot + "/samples/visit-soap.txt");
  NoteOptions opt;
  opt.evidence = state.range(0) != 0;
  int64_t generated = 0;
  double mask_s = 0;
  int masks = 0;
  for (auto _ : state) {
    const NoteResult r = write_note(lm, t, transcript, opt);
    generated += r.stats.n_generated;
    mask_s += r.evidence.mask_s;
    masks += r.evidence.masks;
  }
  state.counters["ms_per_token"] = benchmark::Counter(double(generated) * 1e-3, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["mask_ms"] = masks ? 1e3 * mask_s / masks : 0.0;
  state.counters["tokens"] = double(generated) / double(state.iterations());
}
BENCHMARK(Note)->ArgName("evidence")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
