// test-scribe-note.cpp — the note pipeline without speech: templates load and compile, every template gives a
// complete note on the fixture models, the support check links values to transcript spans and flags words and
// numbers the transcript does not contain, and the Markdown lists what was flagged.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "runtime/loaded-model.h"
#include "scribe/note.h"

using namespace sotto;

namespace {

const std::string kRoot = SOTTO_SOURCE_DIR;
const std::string kVisit =
    "Doctor: What brings you in today?\n"
    "Patient: I have had chest pain for three days, worse on stairs. No fever.\n"
    "Doctor: Blood pressure is 142 over 88. I will order an ECG and troponin. Keep taking lisinopril 10 mg daily.\n"
    "Come back on 2026-12-08.\n";

TEST(ScribeSupport, LinksAndFlags) {
  const json::Value note = json::parse(R"({
    "subjective": "Chest pain for three days, worse on stairs",
    "objective": "Blood pressure 142/88",
    "plan": "ECG and troponin; start aspirin",
    "medications": [{"name": "lisinopril", "dose": "20 mg", "frequency": "daily"}],
    "follow_up": "2026-12-08",
    "assessment": ""})");
  const auto support = check_support(note, kVisit);
  auto find = [&](const std::string& path) -> const FieldSupport& {
    for (const auto& f : support) {
      if (f.path == path) return f;
    }
    ADD_FAILURE() << "no " << path;
    return support.front();
  };
  const FieldSupport& subj = find("/subjective");
  EXPECT_FALSE(subj.flagged);
  ASSERT_FALSE(subj.spans.empty());
  EXPECT_EQ(kVisit.substr(subj.spans[0].begin, subj.spans[0].end - subj.spans[0].begin), "chest pain for three days, worse on stairs");
  EXPECT_FALSE(find("/objective").flagged);
  EXPECT_TRUE(find("/plan").flagged);
  EXPECT_EQ(find("/plan").unsupported, (std::vector<std::string>{"start", "aspirin"}));
  EXPECT_TRUE(find("/medications/0/dose").flagged);  // 20 mg: the transcript says 10
  EXPECT_EQ(find("/medications/0/dose").unsupported, std::vector<std::string>{"20"});
  EXPECT_FALSE(find("/medications/0/name").flagged);
  EXPECT_FALSE(find("/follow_up").flagged);
  for (const auto& f : support) EXPECT_NE(f.path, "/assessment") << "empty values are not checked";

  NoteTemplate t = load_template("soap", {kRoot});
  const std::string md = note_to_markdown(t, note, support);
  EXPECT_NE(md.find("# Clinical SOAP note"), std::string::npos);
  EXPECT_NE(md.find("## Follow up\n\n2026-12-08"), std::string::npos);
  EXPECT_NE(md.find("## Check against the transcript"), std::string::npos);
  EXPECT_NE(md.find("`/plan`: not in the transcript: start, aspirin"), std::string::npos);
}

TEST(ScribeTemplates, Errors) {
  try {
    load_template("nope", {kRoot});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("templates/nope.schema.json"), std::string::npos) << e.what();
  }
  const std::string p = (std::filesystem::temp_directory_path() / "sotto-no-desc.schema.json").string();
  std::ofstream(p) << R"({"type":"object","properties":{"a":{"type":"string"}}})";
  EXPECT_THROW(load_template(p, {}), Error);
  std::ofstream(p) << R"({"type":"object","properties":)";
  EXPECT_THROW(load_template(p, {}), Error);
}

class ScribeNote : public ::testing::TestWithParam<std::string> {};

TEST_P(ScribeNote, EveryTemplateGivesACompleteNote) {
  LoadedModel lm = load_model(kRoot + "/tests/fixtures/models/gemma3-q8_0.gguf", 2, true);
  const NoteTemplate t = load_template(GetParam(), {kRoot});
  NoteOptions opt;
  opt.n_ctx = 8192;
  opt.max_tokens = 6000;
  opt.temperature = 1.0f;  // the random model's greedy choice may loop inside a string; sampling ends it
  opt.seed = 3;
  const NoteResult r = write_note(lm, t, kVisit, opt);
  ASSERT_TRUE(r.note.is_object()) << r.text;
  for (const json::Value& key : t.schema.at("required").arr()) {
    EXPECT_TRUE(r.note.find(key.str())) << GetParam() << " lacks " << key.str() << ": " << r.text;
  }
  EXPECT_EQ(r.note.obj().size(), t.schema.at("properties").obj().size());
  const std::string md = note_to_markdown(t, r.note, r.support);
  EXPECT_EQ(md.rfind("# " + t.title, 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Templates, ScribeNote, ::testing::Values("soap", "legal", "hr", "finance"));

}  // namespace
