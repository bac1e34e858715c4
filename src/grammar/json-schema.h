// json-schema.h — JSON Schema -> GBNF grammar whose every complete string is a JSON document valid under
// the schema (a subset of them: see the choices below), so constrained decoding emits only valid notes.
//
// Supported: type (one or a list), const, enum, anyOf, oneOf (as anyOf: branches are not checked for
// exclusivity, so give oneOf disjoint branches), allOf with a single branch, $ref to "#", "#/$defs/..." and
// "#/definitions/..." (recursion allowed), boolean schemas (true = any JSON value);
// object: properties (emitted in schema order), required, additionalProperties false (an absent
// additionalProperties also emits only the declared properties), additionalProperties true/schema only
// without properties (a free-form map);
// string: minLength, maxLength, pattern (ECMAScript subset: literals, escapes \d \w \s \D \W \S \uXXXX,
// classes, ., groups, (?:), |, * + ? {m} {m,} {m,n}, ^ $ anchors; unanchored means "contains"),
// format date | time | date-time | uuid (dates limit February to 28 days, times exclude leap seconds);
// integer: minimum, maximum, exclusiveMinimum, exclusiveMaximum (exact decimal ranges);
// number: minimum, maximum with integer values (no exponent then); boolean; null;
// array: items, minItems, maxItems. Annotations (title, description, default, examples, $schema, $id,
// $comment, readOnly, writeOnly, deprecated) are ignored.
// Generation choices (all outputs remain valid): integers have at most 15 digits, fractions at most 15,
// whitespace between tokens is "", " " or a newline with up to 20 spaces (none in compact mode), strings
// produced by a pattern never contain control characters other than \n \r \t escapes.
// Anything else (an unknown keyword, a format, a construct in a pattern) is a sotto::Error naming the
// keyword and its JSON-pointer path, e.g. "note.json: unsupported keyword 'uniqueItems' at
// #/properties/meds"; nothing is ignored silently.
#pragma once

#include <string>
#include <string_view>

#include "grammar/grammar.h"

namespace sotto::json {
class Value;
}

namespace sotto::grammar {

struct SchemaOptions {
  bool compact = false;  // no whitespace between tokens
};

// GBNF text for a parsed schema; `name` labels errors (usually the schema's file name).
std::string json_schema_to_gbnf(const json::Value& schema, const std::string& name, const SchemaOptions& opt = {});
// Parses the schema text with sotto::json::parse and compiles it to a byte-level Grammar.
Grammar compile_json_schema(std::string_view schema_text, const std::string& name, const SchemaOptions& opt = {});

// ECMAScript-style regex -> GBNF expression for the JSON-escaped string content it matches (used for
// `pattern`; exposed for tests). `where` names the schema path in errors. Helper rules are appended to
// `rules` as "name ::= body" lines with names starting with `prefix`.
std::string regex_to_gbnf(std::string_view pattern, const std::string& where, const std::string& prefix,
                          std::string& rules);

// GBNF expressions for decimal integers in [lo, hi] (has_lo / has_hi false = unbounded on that side), at
// most 15 digits when unbounded above. Helper rules go to `rules` with names starting with `prefix`.
std::string integer_range_gbnf(bool has_lo, long long lo, bool has_hi, long long hi, const std::string& prefix,
                               std::string& rules);
// Decimal numbers (integer part, optional fraction, no exponent) with value in [lo, hi]; bounds are integers.
std::string number_range_gbnf(bool has_lo, long long lo, bool has_hi, long long hi);

}  // namespace sotto::grammar
