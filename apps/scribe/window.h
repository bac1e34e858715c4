// window.h — long transcripts for a note model trained on short ones: the transcript is read in overlapping
// windows that each fit the model's trained context, a note is written for each window under the template,
// and the window notes are merged under the template's schema into one note.
//   * plan_windows: windows of whole lines (speaker turns), else whole sentences, else words, each at most
//     `window_tokens` transcript tokens, consecutive windows sharing about an eighth of that (so a fact said
//     across a boundary is whole in one window);
//   * merge_window_notes: each window note is first checked against its own window (support.h); for a field,
//     values the window does not support are dropped when another window supports one. Then by type:
//     a date, enum, boolean or number takes the last supported window's value (people correct themselves
//     later in a conversation: "actually make that 20 mg"); free text joins the windows' distinct sentences
//     (cut at maxLength on a word boundary); arrays join their items, an item whose first string field (a
//     medication's name) comes again taking the later window's version, at most maxItems. null ("not stated")
//     never replaces a value. The result keeps the schema's types, required keys and length limits.
// The CLI (`sotto note`) and the browser app (wasm/scribe-abi.cpp) use the same plan and merge.
// Does not: tokenise or run the model (note.cpp does); judge which window is right beyond the support check.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/json.h"
#include "scribe/support.h"

namespace sotto {

struct WindowPlan {
  int n_ctx_train = 0;       // the note model's trained context (0: unknown: one window)
  int prompt_tokens = 0;     // the prompt of the whole transcript
  int window_tokens = 0;     // transcript tokens a window may hold (0 with one window)
  std::vector<Span> windows; // byte ranges of the transcript, in order; one covering all of it when it fits
  struct Skipped {
    Span window;
    std::string why;
  };
  std::vector<Skipped> skipped;  // windows whose note was not finished (write_note: left out of the merge)
  bool past_trained = false;     // too long, but the trained context leaves < 32 tokens a window: one window
};

// `count` gives the tokens of a piece of transcript text. `overhead_tokens`: the prompt's tokens besides the
// transcript (instruction, chat format); `reserve_tokens`: room kept for the note. One window when
// prompt_tokens + reserve_tokens <= n_ctx_train or n_ctx_train <= 0, or (past_trained) when the trained context
// leaves fewer than 32 transcript tokens a window.
WindowPlan plan_windows(const std::string& transcript, int prompt_tokens, int overhead_tokens, int reserve_tokens,
                        int n_ctx_train, const std::function<int(std::string_view)>& count);

// Room kept for the note in a window: a quarter of the trained context, at least 128 and at most max_tokens.
int note_reserve_tokens(int n_ctx_train, int max_tokens);

// One line for the user: "the transcript (2,310 prompt tokens) is longer than the note model was trained on
// (1,024 tokens): read in 5 overlapping windows of up to 718 tokens, their notes merged under the template".
// Empty for a single window that fits; a warning when past_trained. Skipped windows are named with their transcript bytes and why.
std::string describe_windows(const WindowPlan& plan);

// The window notes (one per window of `windows`, each valid under `schema`) merged into one note valid under it;
// each window's values weighed by the support check (check_support, with the visit date if given).
json::Value merge_window_notes(const json::Value& schema, const std::vector<json::Value>& notes,
                               const std::string& transcript, const std::vector<Span>& windows,
                               const std::string& visit_date = "");

}  // namespace sotto
