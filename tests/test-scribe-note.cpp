// test-scribe-note.cpp — the note pipeline without speech: templates load and compile, every template gives a
// complete note on the fixture models, the support check links values to transcript spans and flags words and
// numbers the transcript does not contain, and the Markdown lists what was flagged. The exact rules of the
// check (support.h), one test each, every one of which the old bag-of-words check failed: numbers with their
// quantity and unit, numeric fields, whole dates, relative dates, enums and booleans against evidence phrases
// (or "not checked"), negation, corrected numbers.
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

// The entry of `path` in a check of `note` (JSON) against `transcript` under template `tmpl` ("" = no schema).
FieldSupport check1(const std::string& note, const std::string& transcript, const std::string& path,
                    const std::string& tmpl = "") {
  const json::Value n = json::parse(note);
  std::vector<FieldSupport> s;
  if (tmpl.empty()) {
    s = check_support(n, transcript);
  } else {
    const NoteTemplate t = load_template(tmpl, {kRoot});
    s = check_support(n, transcript, &t.schema);
  }
  for (const auto& f : s) {
    if (f.path == path) return f;
  }
  ADD_FAILURE() << "no " << path << " in the check of " << note;
  return {};
}

TEST(ScribeSupportRules, SwappedNumbersAreFlagged) {
  const std::string tr = "Doctor: On examination, heart rate 95, oxygen saturation 96%. Temperature 37.9.";
  const FieldSupport ok = check1(R"({"objective": "Heart rate 95, SpO2 96%, temperature 37.9"})", tr, "/objective");
  EXPECT_FALSE(ok.flagged) << ok.unsupported.size();
  const FieldSupport bad = check1(R"({"objective": "Heart rate 96, oxygen saturation 95%"})", tr, "/objective");
  ASSERT_TRUE(bad.flagged);
  EXPECT_EQ(bad.unsupported, (std::vector<std::string>{"96 (said for oxygen saturation)", "95 (said for heart rate)"}));
  // Label after the number ("500 mg of amoxicillin"), and doses swapped between two medications.
  const std::string meds = "I'll prescribe 500 mg of amoxicillin three times a day and 400 mg of ibuprofen as needed.";
  const std::string note = R"({"medications": [{"name": "amoxicillin", "dose": "%A mg", "frequency": "three times a day"},
                                                {"name": "ibuprofen", "dose": "%B mg", "frequency": "as needed"}]})";
  auto with = [&](const char* a, const char* b) {
    std::string n = note;
    n.replace(n.find("%A"), 2, a);
    n.replace(n.find("%B"), 2, b);
    return n;
  };
  EXPECT_FALSE(check1(with("500", "400"), meds, "/medications/0/dose", "soap").flagged);
  EXPECT_FALSE(check1(with("500", "400"), meds, "/medications/1/dose", "soap").flagged);
  EXPECT_TRUE(check1(with("400", "500"), meds, "/medications/0/dose", "soap").flagged);
  EXPECT_TRUE(check1(with("400", "500"), meds, "/medications/1/dose", "soap").flagged);
}

TEST(ScribeSupportRules, UnitsMustAgree) {
  const std::string tr = "Start colchicine 1 mg twice daily.";
  EXPECT_FALSE(check1(R"({"plan": "colchicine 1 mg twice daily"})", tr, "/plan").flagged);
  const FieldSupport f = check1(R"({"plan": "colchicine 1 g twice daily"})", tr, "/plan");
  ASSERT_TRUE(f.flagged);
  EXPECT_EQ(f.unsupported, std::vector<std::string>{"1 g (said as 1 mg)"});
  EXPECT_FALSE(check1(R"({"objective": "SpO2 96 percent"})", "oxygen saturation 96%", "/objective").flagged);
  EXPECT_FALSE(check1(R"({"subjective": "cough for three days"})", "A cough for 3 days.", "/subjective").flagged);
}

TEST(ScribeSupportRules, NumericFieldsAreChecked) {
  const std::string schema = R"({"type": "object", "properties": {
      "heart_rate": {"type": "integer"}, "spo2": {"type": "integer", "description": "Oxygen saturation"}}})";
  const json::Value s = json::parse(schema);
  const std::string tr = "Heart rate 95, oxygen saturation 96%.";
  auto flags = [&](const std::string& note) {
    std::vector<std::string> out;
    for (const auto& f : check_support(json::parse(note), tr, &s)) {
      if (f.flagged) out.push_back(f.path);
    }
    return out;
  };
  EXPECT_EQ(flags(R"({"heart_rate": 95, "spo2": 96})"), std::vector<std::string>{});
  EXPECT_EQ(flags(R"({"heart_rate": 96, "spo2": 95})"), (std::vector<std::string>{"/heart_rate", "/spo2"}));
  EXPECT_EQ(flags(R"({"heart_rate": 88, "spo2": 96})"), std::vector<std::string>{"/heart_rate"});
  const std::string legal = "Lawyer: For the record we spent 60 minutes.";
  EXPECT_FALSE(check1(R"({"time_spent_minutes": 60})", legal, "/time_spent_minutes", "legal").flagged);
  EXPECT_EQ(check1(R"({"time_spent_minutes": 45})", legal, "/time_spent_minutes", "legal").unsupported,
            std::vector<std::string>{"45"});
}

TEST(ScribeSupportRules, DatesAreCheckedWhole) {
  // The day number 4 is said, but not as the day of the date.
  const std::string tr = "Seen on March 3rd 2026. She takes 4 tablets a day.";
  const FieldSupport f = check1(R"({"follow_up": "2026-03-04"})", tr, "/follow_up", "soap");
  EXPECT_TRUE(f.flagged);
  EXPECT_EQ(f.unsupported, std::vector<std::string>{"4"});
  for (const char* said : {"on March 3rd 2026", "on 3/3/2026", "on 2026-03-03", "on the third of March, 2026",
                           "on Tuesday the 3rd of March 2026", "on March 3, twenty twenty-six", "on 3 um, March 2026"}) {
    EXPECT_FALSE(check1(R"({"follow_up": "2026-03-03"})", std::string("Review ") + said + ".", "/follow_up", "soap").flagged)
        << said;
  }
  // Without a year, the year must be said elsewhere; dates inside free text are checked whole too.
  EXPECT_FALSE(check1(R"({"plan": "review on 2026-03-03"})", "Today is 1 March 2026. Review on the 3rd of March.", "/plan").flagged);
  EXPECT_TRUE(check1(R"({"plan": "review on 4 March 2026"})", "Review on the 3rd of March 2026, 4 days.", "/plan").flagged);
}

TEST(ScribeSupportRules, RelativeDatesDoNotSupportAnAbsoluteDate) {
  const std::string tr = "Seen on 3 March 2026. Come back in two weeks, and take 17 drops.";
  const FieldSupport f = check1(R"({"follow_up": "2026-03-17"})", tr, "/follow_up", "soap");
  ASSERT_TRUE(f.flagged);
  EXPECT_EQ(f.unsupported, std::vector<std::string>{"2026-03-17 (said as \"in two weeks\")"});
}

TEST(ScribeSupportRules, EnumsAgainstEvidence) {
  const std::string tr = "Adviser: We talked about your pension. Your attitude to risk is cautious, not adventurous.";
  const FieldSupport ok = check1(R"({"risk_profile": "cautious"})", tr, "/risk_profile", "finance");
  EXPECT_TRUE(ok.checked);
  EXPECT_FALSE(ok.flagged);
  EXPECT_FALSE(ok.spans.empty());
  for (const char* wrong : {"balanced", "adventurous", "not discussed"}) {
    const FieldSupport f = check1(std::string(R"({"risk_profile": ")") + wrong + "\"}", tr, "/risk_profile", "finance");
    EXPECT_TRUE(f.flagged) << wrong;
  }
  const FieldSupport none = check1(R"({"risk_profile": "growth"})", "We talked about the pension.", "/risk_profile", "finance");
  EXPECT_FALSE(none.checked);
  EXPECT_FALSE(none.flagged);
  EXPECT_EQ(none.why, "no option of risk profile is said in the transcript");
  EXPECT_FALSE(check1(R"({"risk_profile": "not discussed"})", "We did not discuss attitude to risk.", "/risk_profile", "finance").flagged);
  EXPECT_TRUE(check1(R"({"category": "safety"})", "It was harassment, repeated unwanted comments.", "/category", "hr").flagged);
  EXPECT_FALSE(check1(R"({"category": "harassment"})", "She was harassed by repeated comments.", "/category", "hr").flagged);
}

TEST(ScribeSupportRules, BooleansAgainstEvidence) {
  auto fees = [](bool v, const std::string& tr) {
    return check1(std::string(R"({"fees_disclosed": )") + (v ? "true" : "false") + "}", tr, "/fees_disclosed", "finance");
  };
  EXPECT_FALSE(fees(true, "Adviser: Our fees were explained and agreed.").flagged);
  EXPECT_TRUE(fees(false, "Adviser: Our fees were explained and agreed.").flagged);
  EXPECT_TRUE(fees(true, "Adviser: Fees were not covered today.").flagged);
  EXPECT_FALSE(fees(false, "Adviser: Fees were not covered today.").flagged);
  EXPECT_TRUE(fees(true, "Adviser: I haven't disclosed our fees yet.").flagged);
  const FieldSupport none = fees(true, "Adviser: We talked about your pension.");
  EXPECT_FALSE(none.checked);
  EXPECT_FALSE(none.flagged);
  EXPECT_EQ(none.value, "true");
  auto fu = [](bool v, const std::string& tr) {
    return check1(std::string(R"({"follow_up_required": )") + (v ? "true" : "false") + "}", tr, "/follow_up_required", "hr");
  };
  EXPECT_TRUE(fu(true, "No follow up is required.").flagged);
  EXPECT_FALSE(fu(false, "No follow up is required.").flagged);
  EXPECT_FALSE(fu(true, "A follow up is required.").flagged);
  // The last evidence wins: people correct themselves.
  EXPECT_FALSE(fu(true, "No follow up is required. Actually, a follow up will be required after all.").flagged);
}

TEST(ScribeSupportRules, NegationIsHandled) {
  const std::string tr = "Patient: I have a cough and a fever. I deny any chest pain. No shortness of breath.";
  const FieldSupport f = check1(R"({"subjective": "Cough and fever; chest pain"})", tr, "/subjective");
  ASSERT_TRUE(f.flagged);
  EXPECT_EQ(f.unsupported, std::vector<std::string>{"chest pain (negated in the transcript)"});
  EXPECT_FALSE(check1(R"({"subjective": "Cough and fever, denies chest pain, no shortness of breath"})", tr, "/subjective").flagged);
  const FieldSupport g = check1(R"({"subjective": "No fever"})", tr, "/subjective");
  ASSERT_TRUE(g.flagged);
  EXPECT_EQ(g.unsupported, std::vector<std::string>{"No fever (the transcript says it without negation)"});
  EXPECT_TRUE(check1(R"({"subjective": "Cough. Shortness of breath."})", "I don't have shortness of breath, just a cough.", "/subjective").flagged);
}

TEST(ScribeSupportRules, CorrectedNumbersSupportNothing) {
  const std::string tr = "Doctor: Start amoxicillin 250 mg, actually make that 500 mg, three times a day.";
  const std::string note = R"({"medications": [{"name": "amoxicillin", "dose": "%D mg", "frequency": "three times a day"}]})";
  auto dose = [&](const char* d) {
    std::string n = note;
    n.replace(n.find("%D"), 2, d);
    return check1(n, tr, "/medications/0/dose", "soap");
  };
  EXPECT_FALSE(dose("500").flagged);
  EXPECT_EQ(dose("250").unsupported, std::vector<std::string>{"250 (corrected to 500)"});
  EXPECT_EQ(check1(R"({"plan": "lisinopril 10 mg"})", "Lisinopril 20 mg. Sorry, I mean 10 mg.", "/plan").unsupported,
            std::vector<std::string>{});
  // Another quantity after the cue is no correction.
  EXPECT_FALSE(check1(R"({"objective": "Heart rate 95, oxygen saturation 96%"})",
                      "Heart rate 95. Actually, her oxygen saturation is 96%.", "/objective").flagged);
}

TEST(ScribeSupportRules, NotCheckedIsShown) {
  const NoteTemplate t = load_template("finance", {kRoot});
  const json::Value note = json::parse(R"({"client": "Ann Lee", "risk_profile": "growth", "fees_disclosed": false})");
  const auto s = check_support(note, "Adviser: Thanks for coming in, Ann Lee.", &t.schema);
  const std::string md = note_to_markdown(t, note, s);
  EXPECT_NE(md.find("- `/risk_profile`: not checked (no option of risk profile is said in the transcript): growth"), std::string::npos) << md;
  EXPECT_NE(md.find("- `/fees_disclosed`: not checked (no evidence phrase for fee disclosed in the transcript): false"), std::string::npos) << md;
  const json::Value j = support_to_json(s);
  ASSERT_EQ(j.arr().size(), 3u);
  EXPECT_EQ(json::dump(j.arr()[1]),
            R"({"path":"/risk_profile","value":"growth","spans":[],"unsupported":[],"flagged":false,"checked":false,"why":"no option of risk profile is said in the transcript"})");
}

// Abstention: a null value has nothing to check (no flag, not listed), the Markdown says "not stated", and a
// relative follow-up kept as said is supported by its words.
TEST(ScribeSupportRules, NullIsAbstentionNotAFlag) {
  const NoteTemplate t = load_template("soap", {kRoot});
  const json::Value note = json::parse(R"({"subjective": "cough for a week", "objective": null, "assessment": null,
    "plan": null, "medications": [{"name": "paracetamol", "dose": null, "frequency": null}], "follow_up": "in two weeks"})");
  const std::string tr = "Patient: I've had a cough for a week. Doctor: Take paracetamol. See you in two weeks.";
  const auto s = check_support(note, tr, &t.schema);
  for (const FieldSupport& f : s) {
    EXPECT_FALSE(f.flagged) << f.path << " " << f.value;
    EXPECT_NE(f.value, "null") << f.path;
  }
  ASSERT_EQ(s.size(), 3u);  // subjective, the medication's name, follow_up
  EXPECT_EQ(s[2].path, "/follow_up");
  const std::string md = note_to_markdown(t, note, s);
  EXPECT_NE(md.find("## Objective\n\n_(not stated)_\n"), std::string::npos) << md;
  EXPECT_NE(md.find("Dose: _(not stated)_"), std::string::npos) << md;
  EXPECT_NE(md.find("## Follow up\n\nin two weeks\n"), std::string::npos) << md;
  // A follow-up said relatively, written as an absolute date without a visit date, is still flagged.
  const json::Value bad = json::parse(R"({"follow_up": "2026-12-20"})");
  EXPECT_TRUE(check_support(bad, tr, &t.schema)[0].flagged);
}

// With the visit date, a relative date supports the absolute date it means from that day, and only that one
// (days, weeks, a fortnight, months clamped to the month's end, years, tomorrow, next / this weekday); a wrong
// date says what was said and what it meant; a visit date that is not a date is an error naming it.
TEST(ScribeSupportRules, RelativeDatesResolveAgainstTheVisitDate) {
  const NoteTemplate t = load_template("soap", {kRoot});
  auto flagged = [&](const std::string& tr, const char* date, const char* visit) {
    const json::Value note = json::parse(std::string(R"({"follow_up": ")") + date + "\"}");
    const auto s = check_support(note, tr, &t.schema, visit);
    EXPECT_EQ(s.size(), 1u);
    return s.empty() || s[0].flagged;
  };
  struct Case {
    const char* said;
    const char* visit;
    const char* right;
    std::vector<const char*> wrong;
  };
  const Case cases[] = {
      {"See you in two weeks.", "2026-03-06", "2026-03-20", {"2026-03-13", "2026-03-21", "2026-04-06"}},
      {"Come back in 10 days.", "2026-12-28", "2027-01-07", {"2026-01-07", "2027-01-08"}},
      {"Review in a fortnight.", "2026-02-20", "2026-03-06", {"2026-03-05"}},
      {"Review in three months.", "2026-01-15", "2026-04-15", {"2026-04-16", "2026-03-15"}},
      {"Review in a month.", "2026-01-31", "2026-02-28", {"2026-03-03", "2026-02-27"}},
      {"Follow up in 1 year.", "2024-02-29", "2025-02-28", {"2025-03-01"}},
      {"See you tomorrow.", "2026-12-31", "2027-01-01", {"2026-12-30"}},
      {"Let's say next Tuesday.", "2026-12-06", "2026-12-08", {"2026-12-09", "2026-12-06"}},  // 2026-12-06: a Sunday
      {"Let's say next Tuesday.", "2026-12-06", "2026-12-15", {}},                           // or a week later
      {"Come in this Friday.", "2026-12-06", "2026-12-11", {"2026-12-18"}},
      {"Back next week.", "2026-12-06", "2026-12-13", {"2026-12-14"}},
  };
  for (const Case& c : cases) {
    const std::string tr = std::string("Doctor: Take paracetamol. ") + c.said;
    EXPECT_FALSE(flagged(tr, c.right, c.visit)) << c.said << " from " << c.visit << " = " << c.right;
    EXPECT_TRUE(flagged(tr, c.right, "")) << c.said << ": without the visit date";
    for (const char* w : c.wrong) EXPECT_TRUE(flagged(tr, w, c.visit)) << c.said << " from " << c.visit << " is not " << w;
  }
  // The flag says what was said and what it meant; a date said whole still counts as before.
  const auto s = check_support(json::parse(R"({"follow_up": "2026-03-21"})"), "See you in two weeks.", &t.schema, "2026-03-06");
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(s[0].unsupported.size(), 1u);
  EXPECT_EQ(s[0].unsupported[0], "2026-03-21 (said as \"in two weeks\": 2026-03-20 from the visit date)");
  EXPECT_FALSE(flagged("See you on the 21st of March 2026.", "2026-03-21", "2026-03-06"));
  for (const char* bad : {"2026-02-30", "6/3/2026", "soon"}) {
    try {
      check_support(json::parse(R"({"follow_up": "2026-03-20"})"), "in two weeks", &t.schema, bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

// The prompt: the visit date, when given, goes between the instruction and the transcript in one fixed form
// (tools/train/datagen.py user_text writes the same); a bad date is an error naming it.
TEST(ScribeTemplates, VisitDateInThePrompt) {
  const NoteTemplate t = load_template("soap", {kRoot});
  EXPECT_EQ(note_user_turn(t, "Hello."), t.instruction + "\n\nTranscript:\nHello.\n\nAnswer with the JSON note only.");
  EXPECT_EQ(note_user_turn(t, "Hello.", "2026-12-06"),
            t.instruction + "\n\nVisit date: 2026-12-06\n\nTranscript:\nHello.\n\nAnswer with the JSON note only.");
  for (const char* bad : {"2026-02-30", "6/12/2026", "2026-12-6", "2026-13-01", "today"}) {
    try {
      note_user_turn(t, "Hello.", bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(note_user_turn(t, "Hello.", "2028-02-29"));
}

TEST(ScribeTemplates, Errors) {
  try {
    load_template("nope", {kRoot});
    FAIL();
  } catch (const Error& e) {
    // The names the user could have meant, from the searched templates/ folders.
    EXPECT_NE(std::string(e.what()).find("the templates are finance, hr, legal, soap"), std::string::npos) << e.what();
  }
  try {  // no templates/ folder anywhere: the paths that were tried
    load_template("nope", {"/nonexistent-sotto-dir"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-sotto-dir/templates/nope.schema.json"), std::string::npos) << e.what();
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
  opt.visit_date = "2026-12-01";  // the prompt with a visit date, as the CLI's --visit-date gives it
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
