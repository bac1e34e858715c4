// test-core-json.cpp — the JSON parser: must-accept and must-reject tables, unicode, depth, round trips.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/json.h"

using namespace sotto;

TEST(Json, Accepts) {
  const char* ok[] = {
      "null", "true", "false", "0", "-0", "1.5e3", "-12.25E-2", "\"\"", "\"a\\u00e9\\n\"", "[]", "{}",
      " [1, [2, [3]], {\"a\": {}}] ", "{\"a\":1,\"b\":{\"a\":2}}", "\"\\ud83d\\ude00\"", "\"caf\xc3\xa9\"", "123456789012345678",
  };
  for (const char* s : ok) EXPECT_NO_THROW(json::parse(s)) << s;
}

TEST(Json, Rejects) {
  const char* bad[] = {
      "", "nul", "tru", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "1e", "-", "\"abc", "\"\\x\"",
      "\"\\ud83d\"", "\"\\ude00\"", "[1 2]", "{\"a\" 1}", "1 2", "// c\n1", "\"\t\"", "\"\xff\"", "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"", "[", "{", "NaN", "Infinity", "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}",
  };
  for (const char* s : bad) EXPECT_THROW(json::parse(s), Error) << s;
}

TEST(Json, Values) {
  json::Value v = json::parse("{\"s\": \"x\\u00e9\\ud83d\\ude00\", \"n\": -2.5, \"i\": 42, \"b\": true, \"a\": [1, null]}");
  EXPECT_EQ(v.at("s").str(), "x\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v.at("n").number(), -2.5);
  EXPECT_TRUE(v.at("i").is_integer_number());
  EXPECT_FALSE(v.at("n").is_integer_number());
  EXPECT_EQ(v.at("i").integer(), 42);
  EXPECT_TRUE(v.at("b").boolean());
  EXPECT_TRUE(v.at("a").arr()[1].is_null());
  EXPECT_EQ(v.find("zzz"), nullptr);
  EXPECT_THROW(v.at("zzz"), Error);
  EXPECT_THROW(v.at("s").number(), Error);
  EXPECT_EQ(v.obj()[0].first, "s");  // insertion order
}

TEST(Json, ErrorsGiveLineAndColumn) {
  try {
    json::parse("{\n  \"a\": [1,\n  2,,\n]}", "t.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("t.json:3:5:", 0), 0u) << e.what();
  }
}

// A key twice in one object is refused, naming the key and where it is (readers disagree on which value
// wins: the schema compiler would see one, a validator the other).
TEST(Json, DuplicateKeysNamed) {
  try {
    json::parse("{\"type\": \"object\",\n \"properties\": {\"dose\": {}, \"dose\": {}}}", "t.json");
    FAIL() << "duplicate key accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "t.json:2:29: duplicate key \"dose\"");
  }
  // Many keys: still linear (a set per object), and the duplicate at the end is found.
  std::string big = "{";
  for (int k = 0; k < 50000; ++k) big += "\"k" + std::to_string(k) + "\":0,";
  EXPECT_NO_THROW(json::parse(big + "\"end\":0}"));
  EXPECT_THROW(json::parse(big + "\"k17\":0}"), Error);
}

TEST(Json, DepthLimit) {
  std::string deep(600, '[');
  deep += std::string(600, ']');
  EXPECT_THROW(json::parse(deep), Error);
  std::string ok(500, '[');
  ok += std::string(500, ']');
  EXPECT_NO_THROW(json::parse(ok));
}

TEST(Json, RoundTrip) {
  const char* docs[] = {"{\"a\":[1,2.5,\"x\\\"y\\\\z\\n\\u0001\"],\"b\":{\"c\":null,\"d\":false}}", "[]", "\"\\u00e9\""};
  for (const char* d : docs) {
    json::Value v = json::parse(d);
    EXPECT_EQ(json::dump(json::parse(json::dump(v))), json::dump(v));
    EXPECT_EQ(json::dump(json::parse(json::dump(v, 2))), json::dump(v));
  }
  EXPECT_EQ(json::dump(json::parse("{\"a\":[1,2.5]}")), "{\"a\":[1,2.5]}");
  json::Value o = json::Value::object();
  o.set("k", json::Value("v"));
  o.set("k", json::Value(int64_t(3)));
  EXPECT_EQ(json::dump(o), "{\"k\":3}");
}
