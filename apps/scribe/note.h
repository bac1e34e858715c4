// note.h — the scribe pipeline without speech: transcript -> structured note under a template's JSON Schema
// -> support check -> Markdown. A template is a JSON Schema file (templates/NAME.schema.json) whose top-level
// "title" names the note and whose "description" is the instruction given to the model.
// The support check (support.h) links every value of the note to the transcript spans that support it and
// flags values the transcript does not say, for the reviewer.
// Does not: speech recognition (the speech layer does), editing, export (the app does).
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "runtime/generate.h"
#include "scribe/evidence.h"
#include "scribe/support.h"
#include "scribe/window.h"

namespace sotto {

struct LoadedModel;
class Tokenizer;

struct NoteTemplate {
  std::string name;         // "soap"
  std::string path;
  std::string title;        // "Clinical SOAP note"
  std::string instruction;  // the schema's description
  std::string schema_text;
  json::Value schema;
};

// `name_or_path`: a file path, or a template name looked up as templates/NAME.schema.json under each of
// `search_dirs`. Throws Error naming what was tried, or the file and what is missing.
NoteTemplate load_template(const std::string& name_or_path, const std::vector<std::string>& search_dirs);

struct NoteResult {
  std::string text;  // the generated JSON, as generated (windows: the merged note's JSON)
  json::Value note;
  std::vector<FieldSupport> support;
  GenerateStats stats;   // windows: summed over the windows
  WindowPlan windows;    // how the transcript was read (one window when it fits the trained context)
  EvidenceStats evidence;  // NoteOptions::evidence: the constraint's work (windows: summed)
};

struct NoteOptions {
  int n_ctx = 4096;
  int max_tokens = 1024;
  float temperature = 0.0f;  // greedy by default: a note should not vary run to run
  uint64_t seed = 1;
  bool windows = true;       // read a transcript longer than the model's trained context in windows (window.h)
  std::string visit_date;    // YYYY-MM-DD, or empty: the date relative dates ("in two weeks") are resolved against
  // Evidence-constrained decoding (evidence.h): free-text values are copied from the transcript (each window's
  // part), never written in other words. On by default: on a validation slice of the held-out generator family
  // it raised fact precision 0.30 -> 0.38 and recall 0.27 -> 0.36 and cut invented facts 5.7 -> 1.2 a note
  // (docs/training.md, "Evidence-constrained decoding").
  bool evidence = true;
};

// The user turn of the prompt: the template's instruction, "\n\nVisit date: YYYY-MM-DD" when a visit date is
// given (the fixed form the note models are trained on), "\n\nTranscript:\n", the transcript, and
// "\n\nAnswer with the JSON note only.". Throws Error for a visit date that is not a calendar date.
std::string note_user_turn(const NoteTemplate& t, const std::string& transcript, const std::string& visit_date = "");
// "2026-12-06": YYYY-MM-DD naming a day of the Gregorian calendar (leap years included).
bool is_calendar_date(const std::string& s);

// The prompt tokens of a user turn: through the model's chat template, or plain when it has none.
std::vector<int32_t> note_prompt_tokens(const Tokenizer& tok, const std::string& user);

// How write_note reads `transcript` with this model (window.h): one window, or overlapping windows when the
// prompt and the note's room exceed the model's trained context.
WindowPlan plan_note_windows(const Tokenizer& tok, int n_ctx_train, const NoteTemplate& t, const std::string& transcript,
                             int max_tokens, const std::string& visit_date = "");

// The longest note for one window `part`: up to the end of the trained context (not past it), at most
// max_tokens, at least 32. A window whose note does not finish there is sampled once more (temperature 0.7),
// then left out of the merge and named (WindowPlan::skipped).
int window_max_tokens(const Tokenizer& tok, int n_ctx_train, const NoteTemplate& t, const std::string& part,
                      int max_tokens, const std::string& visit_date = "");

// Prompts the model with the template's instruction and the transcript (through its chat template when it
// has one) and generates under the schema; a transcript longer than the model's trained context is read in
// windows whose notes are merged (opt.windows). `on_text` streams the JSON as it is written (each window's).
NoteResult write_note(LoadedModel& lm, const NoteTemplate& t, const std::string& transcript, const NoteOptions& opt,
                      const TextCallback& on_text = {});

// The note as Markdown: the template's title, one section per top-level field (in schema order), lists for
// arrays, "_(not stated)_" for null (the model abstained), and a "Check against the transcript" section
// listing flagged values.
std::string note_to_markdown(const NoteTemplate& t, const json::Value& note, const std::vector<FieldSupport>& support);

}  // namespace sotto
