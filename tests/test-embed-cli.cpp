// test-embed-cli.cpp — `sotto embed` and `sotto info` on the tiny BERT fixtures (tests/fixtures/embed): --out floats
// equal the PyTorch reference (CLS and mean pooling), --json reads back to exactly the --out floats, --file lines and
// -p texts together; and each bad input is a one-line error: not an embedding model, an empty text (-p and a file's
// line), a text over the context (refused; --truncate cuts with a warning), a missing file, an empty file, a missing
// model, a bad --pooling (usage, exit 2). The decoder-based embedder (qwen3 fixture, last token): --out equals the
// PyTorch reference, and a pooling other than last is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "cli-run.h"
#include "core/file.h"
#include "core/gguf.h"
#include "core/json.h"

using namespace cli_run;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/embed/";
const std::string kModel = kDir + "bert-f32.gguf";

class EmbedCli : public CliTest {
 protected:
  EmbedCli() : CliTest("embed-cli") {}
  // The reference texts 2..6 (the first is empty) as a file, one a line.
  std::string lines_file() {
    auto ref = sotto::GgufFile::open(kDir + "bert-f32.ref.gguf");
    const auto& texts = ref->get_string_array("texts");
    const std::string path = dir_ + "/lines.txt";
    std::ofstream o(path);
    for (size_t i = 1; i < texts.size(); i++) o << texts[i] << "\n";
    return path;
  }
  static std::vector<float> floats(const std::string& bytes) {
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
  }
};

TEST_F(EmbedCli, InfoDescribesABertFile) {
  const Result r = run("info " + kModel);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("architecture: bert"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("BERT text embedder: n_vocab 193, n_embd 64, n_ff 128, 2 layers x 4 heads, context 64"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pooling cls"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tokenizer:    bert"), std::string::npos) << r.out;
}

TEST_F(EmbedCli, OutMatchesTheReference) {
  auto ref = sotto::GgufFile::open(kDir + "bert-f32.ref.gguf");
  const std::string file = lines_file();
  for (const char* pooling : {"cls", "mean"}) {
    const std::string out = dir_ + "/e.f32";
    const Result r = run("embed -t 1 -m " + kModel + " --file " + file + " --pooling " + pooling + " --out " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find(std::string("embedded 5 texts: [5, 64] float32, pooling ") + pooling + ", normalized"),
              std::string::npos) << r.out;
    const std::vector<float> got = floats(sotto::read_file(out));
    ASSERT_EQ(got.size(), 5u * 64u);
    const float* want = ref->tensor(pooling).view.as<const float>() + 64;  // texts 2..6
    for (size_t i = 0; i < got.size(); i++) ASSERT_NEAR(got[i], want[i], 1e-6) << pooling << " value " << i;
  }
}

TEST_F(EmbedCli, JsonReadsBackToTheOutFloats) {
  const std::string out = dir_ + "/e.f32";
  const std::string args = "embed -t 1 -m " + kModel + " -p 'hello world' --file " + lines_file() + " --no-normalize";
  const Result a = run(args + " --out " + out + " -q");
  ASSERT_EQ(a.code, 0) << a.out;
  const Result j = run(args + " --json", false);
  ASSERT_EQ(j.code, 0) << j.out;
  const sotto::json::Value doc = sotto::json::parse(j.out, "stdout");
  EXPECT_EQ(doc.at("n_embd").integer(), 64);
  EXPECT_EQ(doc.at("pooling").str(), "cls");
  EXPECT_FALSE(doc.at("normalized").boolean());
  const std::vector<float> want = floats(sotto::read_file(out));
  const auto& rows = doc.at("embeddings").arr();
  ASSERT_EQ(rows.size(), 6u);
  for (size_t t = 0; t < rows.size(); t++) {
    ASSERT_EQ(rows[t].arr().size(), 64u);
    for (size_t i = 0; i < 64; i++) ASSERT_EQ(float(rows[t].arr()[i].number()), want[t * 64 + i]) << t << " " << i;
  }
}

TEST_F(EmbedCli, DecoderEmbedderMatchesTheReference) {
  auto ref = sotto::GgufFile::open(kDir + "qwen3-embed-f32.ref.gguf");
  const auto& texts = ref->get_string_array("texts");
  const std::string model = kDir + "qwen3-embed-f32.gguf", out = dir_ + "/q.f32";
  std::string args = "embed -t 1 -m " + model + " --out " + out;
  for (const auto& t : texts) args += " -p '" + t + "'";
  const Result r = run(args);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("embedded 4 texts: [4, 64] float32, pooling last, normalized"), std::string::npos) << r.out;
  const std::vector<float> got = floats(sotto::read_file(out));
  ASSERT_EQ(got.size(), 4u * 64u);
  const float* want = ref->tensor("embd").view.as<const float>();
  for (size_t i = 0; i < got.size(); i++) ASSERT_NEAR(got[i], want[i], 1e-6) << "value " << i;
  const Result m = run("embed -m " + model + " -p hi --pooling mean");
  EXPECT_EQ(m.code, 1) << m.out;
  EXPECT_NE(m.out.find("pooling mean is not supported by a decoder embedder (last-token pooling only)"), std::string::npos)
      << m.out;
  const Result info = run("info " + model);
  EXPECT_NE(info.out.find("qk_norm yes"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("embedding model: pooling last, EOS appended"), std::string::npos) << info.out;
}

TEST_F(EmbedCli, OneLineErrors) {
  auto expect = [&](const std::string& args, int code, const std::string& part) {
    const Result r = run(args);
    EXPECT_EQ(r.code, code) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(part), std::string::npos) << args << "\n" << r.out;
    EXPECT_EQ(lines(r.out), 1u) << args << "\n" << r.out;
  };
  const std::string m = "embed -m " + kModel;
  expect("embed -m " + std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/smollm2-f32.gguf -p hi", 1,
         "not an embedding model (general.architecture is 'llama', expected 'bert', or a decoder with llama.pooling_type");
  expect(m + " -p ''", 1, "-p #1: is empty (no tokens after normalisation)");
  expect(m + " -p ok -p \"$(printf '\\001 \\t')\"", 1, "-p #2: is empty");
  {
    std::ofstream(dir_ + "/gap.txt") << "first line\n\nthird line\n";
    expect(m + " --file " + dir_ + "/gap.txt", 1, "gap.txt:2: is empty");
    std::ofstream(dir_ + "/empty.txt");
    expect(m + " --file " + dir_ + "/empty.txt", 1, "empty.txt: no texts (the file is empty)");
  }
  std::string long_text;
  for (int i = 0; i < 70; i++) long_text += "pain ";
  expect(m + " -p '" + long_text + "'", 1, "-p #1: has 72 tokens, more than the model's context of 64 (split it, or cut it with --truncate)");
  expect(m + " --file " + dir_ + "/no-such.txt", 1, "no-such.txt");
  expect("embed -m " + dir_ + "/no-such.gguf -p hi", 1, "no-such.gguf");
  expect(m + " -p hi --pooling max", 2, "--pooling is cls, mean or last, not 'max'");
  expect(m, 2, "give the texts with -p TEXT or --file FILE");
  // --truncate: a warning, then the embedding of the first 62 pieces.
  const Result t = run(m + " -q --truncate -p '" + long_text + "'");
  EXPECT_EQ(t.code, 0) << t.out;
  EXPECT_NE(t.out.find("sotto: warning: -p #1: 72 tokens cut to the model's context of 64"), std::string::npos) << t.out;
}

}  // namespace
