// support.h — the support check: every value of a note checked against the transcript it was written from,
// so the reviewer sees what the transcript does not say. Exact where it can be, and says so where it cannot:
//   * words: each content word of a string value must occur in the transcript (case-insensitive; a plural
//     matches its singular); the spans are the transcript runs that share words with the value;
//   * numbers (in strings, and integer/number fields): each number must be said with a compatible unit
//     ("10 mcg" is not "10 mg") and not for another quantity of the note: the words around the number in the
//     transcript ("oxygen saturation 96%") are its label; the value's own label ("heart rate 96"), or else the
//     field's name, description and identifying siblings ("dose" of "amoxicillin"), must share a word with
//     it, or the label must name nothing else the note holds. Digits and number words ("three") are one; a
//     number the speaker corrected ("250 mg, actually make that 500 mg") supports nothing;
//   * dates (format "date" fields, and dates written in strings): checked whole, day, month and year as said
//     ("March 3rd 2026", "3/3/2026", "2026-03-03", "the 3rd of March"; without a year, the year must be said
//     elsewhere); a date said only relatively ("in two weeks") supports the absolute date it means from the visit
//     date where that is given, and no absolute date otherwise;
//   * negation: a phrase of a string value ("chest pain") whose words the transcript says only under a
//     negation cue ("denies chest pain", "no chest pain") is flagged, and so is a negated phrase ("no fever")
//     whose words the transcript says only without one;
//   * enums: the chosen option's words (and the other options') are evidence phrases; the option said
//     closest to the field's words wins; no option said, or a non-committal option ("not discussed"): not
//     checked;
//   * booleans: clauses that say the field's words ("fees ... disclosed") are evidence; a negation cue in the
//     clause makes it say false; the last such clause wins (people correct themselves); none: not checked.
// A value is flagged (something the transcript does not say), supported, or not checked (no evidence either
// way: shown to the reviewer, never silently passed).
// Does not: judge paraphrase or meaning beyond these rules; resolve relative dates without the visit date.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"

namespace sotto {

struct Span {
  size_t begin = 0, end = 0;  // byte offsets in the transcript
};

struct FieldSupport {
  std::string path;                      // "/medications/0/dose"
  std::string value;                     // the string, or the JSON of a number or boolean
  std::vector<Span> spans;               // transcript spans supporting the value
  std::vector<std::string> unsupported;  // what the transcript does not support: absent words or numbers ("20"),
                                         // or an item with the reason ("96 (said for oxygen saturation)")
  bool flagged = false;                  // possible hallucination: something the transcript does not say
  bool checked = true;                   // false: no evidence either way (see `why`); never flagged then
  std::string why;                       // why not checked ("no evidence phrase for fees disclosed")
  std::vector<std::string> uncertain_speech;  // flagged because every supporting span touches words the speech
                                              // model was unsure of (support-speech.h): the words and reasons
};

// Every non-empty string, number and boolean of `note` checked against `transcript`. With the template's
// `schema`, enums, booleans, numbers and dates are checked by their rules above (and the field's description
// and name give the labels); const values are choices of the template, not facts, and are left out. With the
// visit date (YYYY-MM-DD; Error if it is not a date), a date said relatively ("in two weeks", "next Tuesday",
// "in 3 months", "tomorrow") supports the absolute date it means from that day (support-text.h's
// resolve_relative); without one, it supports none.
std::vector<FieldSupport> check_support(const json::Value& note, const std::string& transcript,
                                        const json::Value* schema = nullptr, const std::string& visit_date = "");

// [{path, value, spans: [[b, e]], unsupported, flagged, checked, why, uncertain_speech}] — what the CLI and the
// wasm ABI print (why only when not checked, uncertain_speech only when non-empty).
json::Value support_to_json(const std::vector<FieldSupport>& support);

}  // namespace sotto
