// json.h — a JSON (RFC 8259) parser and writer: a DOM of Values, objects keep insertion order.
// parse() rejects anything not strictly JSON (trailing commas, comments, lone surrogates, invalid UTF-8,
// trailing garbage, a key twice in one object: "duplicate key \"name\"") with an Error
// "source:line:col: message"; nesting is limited to 512 levels so hostile input
// cannot exhaust the stack. Numbers keep whether they were written as integers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sotto::json {

enum class Kind { Null, Bool, Number, String, Array, Object };
// "null", "a boolean", "a number", "a string", "an array", "an object": for messages.
const char* kind_name(Kind k);

class Value {
 public:
  Value() = default;
  Value(bool b) : kind_(Kind::Bool), b_(b) {}  // NOLINT: implicit on purpose
  Value(double d) : kind_(Kind::Number), d_(d) {}
  Value(int64_t i) : kind_(Kind::Number), d_(double(i)), i_(i), is_int_(true) {}
  Value(int i) : Value(int64_t(i)) {}
  Value(std::string s) : kind_(Kind::String), s_(std::move(s)) {}
  Value(const char* s) : Value(std::string(s)) {}
  static Value array() { Value v; v.kind_ = Kind::Array; return v; }
  static Value object() { Value v; v.kind_ = Kind::Object; return v; }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_number() const { return kind_ == Kind::Number; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_object() const { return kind_ == Kind::Object; }
  bool is_integer_number() const { return kind_ == Kind::Number && is_int_; }

  // Accessors throw sotto::Error when the kind does not match.
  bool boolean() const;
  double number() const;
  int64_t integer() const;  // an integer-valued number
  const std::string& str() const;
  const std::vector<Value>& arr() const;
  const std::vector<std::pair<std::string, Value>>& obj() const;
  const Value* find(std::string_view key) const;  // nullptr if absent or not an object
  const Value& at(std::string_view key) const;    // throws naming the key

  void push_back(Value v);
  void set(std::string key, Value v);  // replaces an existing key

 private:
  friend class Parser;
  Kind kind_ = Kind::Null;
  bool b_ = false;
  double d_ = 0;
  int64_t i_ = 0;
  bool is_int_ = false;
  std::string s_;
  std::vector<Value> a_;
  std::vector<std::pair<std::string, Value>> o_;
};

Value parse(std::string_view text, const std::string& source_name = "json");
std::string dump(const Value& v, int indent = -1);  // -1: compact; numbers in the fewest digits (15-17) that read back exactly
std::string quote(std::string_view s);             // a JSON string literal, escaped

}  // namespace sotto::json
