// json-schema.h — JSON Schema -> GBNF grammar whose every complete string is a JSON document valid under
// the schema (a subset of them: see the choices below), so constrained decoding emits only valid notes.
//
// Supported: type (one or a list), const, enum (values must match 'type'), anyOf, oneOf (only when the
// branches are provably disjoint: distinct single types, distinct consts, or a required discriminator
// property with distinct consts; otherwise a named error), allOf with a single branch, $ref to "#",
// "#/$defs/..." and "#/definitions/..." (recursion allowed), boolean schemas (true = any JSON value);
// object: properties (emitted in schema order), required, additionalProperties false (an absent
// additionalProperties also emits only the declared properties), additionalProperties true/schema only
// without properties (a free-form map);
// string: minLength, maxLength, pattern (ECMAScript subset: literals, escapes \d \w \s \D \W \S \uXXXX,
// classes, ., groups, (?:), |, * + ? {m} {m,} {m,n}, ^ $ anchors; unanchored means "contains"), pattern
// together with minLength/maxLength (the exact intersection; refused with a named error when it would need
// more than 20000 rules, see regex-to-gbnf.cpp), format date | time | date-time | uuid (dates
// limit February to 28 days, times exclude leap seconds);
// integer: minimum, maximum, exclusiveMinimum, exclusiveMaximum (any number values, exact), multipleOf k
// (whole k: without bounds for k <= 100, or with both bounds when at most 1000 multiples lie between);
// number: minimum, maximum, exclusiveMinimum, exclusiveMaximum with decimal values of at most 15
// significant digits (exact, either side of zero); boolean; null;
// array: items, minItems, maxItems. Annotations (title, description, default, examples, $schema, $id,
// $comment, readOnly, writeOnly, deprecated) are ignored.
// Generation choices (all outputs remain valid): integers have at most 15 digits, fractions at most 15,
// numbers with bounds have no exponent and at most 15 significant digits (so their decimal order is their
// double order), no "-0", whitespace between tokens is "", " " or a newline with up to 20 spaces (none in
// compact mode), strings produced by a pattern never contain control characters other than \n \r \t
// escapes.
// Anything else is a sotto::Error naming the keyword and its JSON-pointer path, e.g. "note.json:
// unsupported keyword 'uniqueItems' at #/properties/meds": an unknown keyword, a type-specific keyword on
// another type ('minimum' on a string would be ignored by a validator), a format, a construct in a
// pattern, multipleOf on 'number'. Every $defs/definitions entry is compiled, referenced or not, so nothing
// in the schema is ignored silently.
#pragma once

#include <string>
#include <string_view>

#include "grammar/grammar.h"

namespace sotto::json {
class Value;
}

namespace sotto::grammar {

// Deepest nesting of subschemas (properties, items, anyOf branches, and each $ref followed, so a chain of
// definitions referencing the next counts once per link) compile_json_schema accepts: a longer chain is a
// named error rather than a stack overflow (the compiler recurses per level; 1 MiB wasm stack).
inline constexpr int kMaxSchemaDepth = 256;

struct SchemaOptions {
  bool compact = false;  // no whitespace between tokens
};

// GBNF text for a parsed schema; `name` labels errors (usually the schema's file name).
std::string json_schema_to_gbnf(const json::Value& schema, const std::string& name, const SchemaOptions& opt = {});
// Parses the schema text with sotto::json::parse and compiles it to a byte-level Grammar.
Grammar compile_json_schema(std::string_view schema_text, const std::string& name, const SchemaOptions& opt = {});

// Deepest nesting of groups in a `pattern` (each level may become up to three levels of GBNF parentheses,
// which stay within kMaxGbnfNesting).
inline constexpr int kMaxPatternNesting = 64;

// ECMAScript-style regex -> GBNF expression for the JSON-escaped string content it matches (used for
// `pattern`; exposed for tests). `where` names the schema path in errors. With min_len > 0 or max_len >= 0
// the result matches exactly the pattern's strings whose length in characters lies in [min_len, max_len]
// (max_len -1 = unbounded); the helper rules this needs are appended to `rules` as "name ::= body" lines
// with names starting with `prefix` (unique per call).
std::string regex_to_gbnf(std::string_view pattern, const std::string& where, const std::string& prefix,
                          std::string& rules, int min_len = 0, int max_len = -1);

// GBNF expressions for decimal integers in [lo, hi] (has_lo / has_hi false = unbounded on that side), at
// most 15 digits when unbounded above. Helper rules go to `rules` with names starting with `prefix`.
std::string integer_range_gbnf(bool has_lo, long long lo, bool has_hi, long long hi, const std::string& prefix,
                               std::string& rules);
// A number bound as a plain decimal ("-0.5", "120"), inclusive or exclusive.
struct DecimalBound {
  std::string text;
  bool exclusive = false;
};
// Shortest plain decimal that parses back to d; a sotto::Error if it needs more than 15 significant digits
// or more than 15 integer digits.
std::string plain_decimal(double d);
// Decimal numbers (optional '-', integer part, optional fraction, no exponent, at most 15 significant
// digits in all, no negative zero) whose value lies within the bounds (null = unbounded on that side).
// Exact: with at most 15 significant digits on both sides, decimal order and double order agree.
std::string number_range_gbnf(const DecimalBound* lo, const DecimalBound* hi);

}  // namespace sotto::grammar
