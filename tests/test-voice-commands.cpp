// test-voice-commands.cpp — apps/voice/commands.h: the command set's checks (each mistake one Error naming the
// command and field) and the matcher's accept / reject tables: in-set utterances (number words, polite words,
// punctuation, multi-word enum values) give their command and slots; out-of-set speech, values outside a slot's
// range or enum, extra or missing words, and utterances two commands read alike give "not a command".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "voice/commands.h"

namespace {

using sotto::voice::CommandSet;
using sotto::voice::match;
using sotto::voice::match_json;
using sotto::voice::normalise;

const char* kSet = R"~({
  "commands": [
    {"name": "lights_on", "say": ["turn on the lights in the {room}", "switch on the {room} lights"],
     "slots": {"room": {"enum": ["kitchen", "hall", "loading bay"]}}, "examples": ["Turn on the lights in the kitchen."]},
    {"name": "lights_off", "say": ["turn off the lights in the {room}"], "slots": {"room": {"enum": ["kitchen", "hall", "loading bay"]}}},
    {"name": "set_speed", "say": ["set line {line} speed to {speed} percent"],
     "slots": {"line": {"type": "integer", "minimum": 1, "maximum": 4}, "speed": {"type": "integer", "minimum": 0, "maximum": 120}}},
    {"name": "stop_line", "say": ["stop line {line}"], "slots": {"line": {"type": "integer", "minimum": 1, "maximum": 4}}, "confirm": true},
    {"name": "timer", "say": ["start a timer for {minutes} minutes"], "slots": {"minutes": {"type": "number", "minimum": 0.5, "maximum": 240}}},
    {"name": "status", "say": ["status report"]}
  ]
})~";

CommandSet set() { return CommandSet::parse(kSet, "set.json"); }

std::string act(const std::string& utterance) { return match_json(set(), match(set(), utterance)); }

TEST(VoiceCommands, Normalise) {
  EXPECT_EQ(normalise("Please set line two speed to seventy-five percent."),
            (std::vector<std::string>{"set", "line", "2", "speed", "to", "75", "percent"}));
  EXPECT_EQ(normalise("one hundred and five, two thousand three hundred"), (std::vector<std::string>{"105", "2300"}));
  EXPECT_EQ(normalise("one two three"), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(normalise("twenty twenty"), (std::vector<std::string>{"20", "20"}));
  EXPECT_EQ(normalise("two point five, 3.25 and 100%"), (std::vector<std::string>{"2.5", "3.25", "and", "100", "percent"}));
  EXPECT_EQ(normalise("OK um, don't stop... thank you"), (std::vector<std::string>{"don't", "stop"}));
  EXPECT_EQ(normalise("  ,.!  "), std::vector<std::string>{});
}

TEST(VoiceCommands, Accepts) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"Turn on the lights in the kitchen.", R"~({"command": "lights_on", "slots": {"room": "kitchen"}, "confirm": false})~"},
      {"switch on the Loading Bay lights", R"~({"command": "lights_on", "slots": {"room": "loading bay"}, "confirm": false})~"},
      {"turn off the lights in the hall please", R"~({"command": "lights_off", "slots": {"room": "hall"}, "confirm": false})~"},
      {"Set line two speed to seventy-five percent", R"~({"command": "set_speed", "slots": {"line": 2, "speed": 75}, "confirm": false})~"},
      {"set line 4 speed to 120%", R"~({"command": "set_speed", "slots": {"line": 4, "speed": 120}, "confirm": false})~"},
      {"set line one speed to zero percent", R"~({"command": "set_speed", "slots": {"line": 1, "speed": 0}, "confirm": false})~"},
      {"Stop line 3!", R"~({"command": "stop_line", "slots": {"line": 3}, "confirm": true})~"},
      {"start a timer for two point five minutes", R"~({"command": "timer", "slots": {"minutes": 2.5}, "confirm": false})~"},
      {"start a timer for 90 minutes", R"~({"command": "timer", "slots": {"minutes": 90}, "confirm": false})~"},
      {"Okay, status report. Thanks", R"~({"command": "status", "slots": {}, "confirm": false})~"},
  };
  for (const auto& [u, want] : table) EXPECT_EQ(act(u), want) << u;
}

TEST(VoiceCommands, Rejects) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"turn on the lights in the garage", "no command matches"},        // not in the enum
      {"set line 5 speed to 50 percent", "no command matches"},          // line above its maximum
      {"set line two speed to one hundred and fifty percent", "no command matches"},
      {"start a timer for 0.25 minutes", "no command matches"},          // under the minimum
      {"set line 2.5 speed to 50 percent", "no command matches"},        // an integer slot
      {"turn on the lights in the kitchen and the hall", "no command matches"},  // extra words
      {"turn on the lights", "no command matches"},                      // a slot missing
      {"stop", "no command matches"},
      {"what is the weather like today", "no command matches"},
      {"Plan is ECG today.", "no command matches"},  // what the bundled speech model made of a command
      {"", "empty"},
      {"um, uh", "empty"},
  };
  for (const auto& [u, why] : table) {
    EXPECT_EQ(act(u), R"~({"command": null, "reason": ")~" + why + "\"}") << u;
  }
}

TEST(VoiceCommands, Ambiguous) {
  const CommandSet s = CommandSet::parse(R"~({"commands": [
    {"name": "open_door", "say": ["open the {door} door"], "slots": {"door": {"enum": ["front", "back"]}}},
    {"name": "open_front", "say": ["open the front door"]},
    {"name": "go", "say": ["go {a} {b}"], "slots": {"a": {"enum": ["up", "up up"]}, "b": {"enum": ["up", "up up"]}}}
  ]})~", "amb.json");
  EXPECT_EQ(match_json(s, match(s, "open the front door")), R"~({"command": null, "reason": "ambiguous: open_door, open_front"})~");
  EXPECT_EQ(match_json(s, match(s, "open the back door")), R"~({"command": "open_door", "slots": {"door": "back"}, "confirm": false})~");
  EXPECT_EQ(match_json(s, match(s, "go up up up")),
            R"~({"command": null, "reason": "ambiguous: go (two readings of its slots)"})~");
}

std::string error_of(const std::string& json) {
  try {
    CommandSet::parse(json, "c.json");
  } catch (const sotto::Error& e) {
    return e.what();
  }
  return "";
}

TEST(VoiceCommands, SetErrors) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {R"~([])~", R"~(c.json: a command set is an object {"commands": [...]})~"},
      {R"~({"commands": []})~", R"~(c.json: "commands" must be a non-empty array)~"},
      {R"~({"commands": [{"say": ["x"]}]})~", R"~(c.json: command 1: "name" must be a non-empty string)~"},
      {R"~({"commands": [{"name": "a b", "say": ["x"]}]})~", R"~(c.json: command 1: name "a b" may hold letters, digits, '_', '-' and '.' only)~"},
      {R"~({"commands": [{"name": "a", "say": ["x"]}, {"name": "a", "say": ["y"]}]})~", R"~(c.json: command "a": a second command of that name)~"},
      {R"~({"commands": [{"name": "a", "say": []}]})~", R"~(c.json: command "a": "say" must be a non-empty array of phrases)~"},
      {R"~({"commands": [{"name": "a", "say": ["go to {room}"]}]})~", R"~(c.json: command "a": slot {room} in "go to {room}" is not declared in "slots")~"},
      {R"~({"commands": [{"name": "a", "say": ["go", "go to {r}"], "slots": {"r": {"enum": ["x"]}}}]})~",
       R"~(c.json: command "a": slot {r} must appear once in each phrase (0 times in "go"))~"},
      {R"~({"commands": [{"name": "a", "say": ["go {r"], "slots": {"r": {"enum": ["x"]}}}]})~", R"~(c.json: command "a": a '{' without its '}' in "go {r")~"},
      {R"~({"commands": [{"name": "a", "say": ["..."]}]})~", R"~(c.json: command "a": an empty phrase)~"},
      {R"~({"commands": [{"name": "a", "say": ["set {n}"], "slots": {"n": {"type": "integer"}}}]})~",
       R"~(c.json: command "a": slot "n": numbers need "minimum" and "maximum" (a spoken value outside them is not a command))~"},
      {R"~({"commands": [{"name": "a", "say": ["set {n}"], "slots": {"n": {"type": "integer", "minimum": 5, "maximum": 1}}}]})~",
       R"~(c.json: command "a": slot "n": minimum 5 is above maximum 1)~"},
      {R"~({"commands": [{"name": "a", "say": ["set {n}"], "slots": {"n": {"type": "string"}}}]})~",
       R"~(c.json: command "a": slot "n" needs "enum" or "type": "integer" or "number")~"},
      {R"~({"commands": [{"name": "a", "say": ["set {n}"], "slots": {"n": {"enum": ["Kitchen", "kitchen!"]}}}]})~",
       R"~(c.json: command "a": slot "n": enum values "kitchen!" and another read the same when spoken)~"},
      {R"~({"commands": [{"name": "a", "say": ["go"], "confirm": "yes"}]})~", R"~(c.json: command "a": "confirm" must be true or false)~"},
      {R"~({"commands": [{"name": "a", "say": ["go"], "run": "rm -rf"}]})~",
       R"~(c.json: command "a": unknown key "run" (name, say, slots, confirm, examples, description))~"},
      {R"~({"commands": [{"name": "a", "say": ["go"], "examples": ["stop"]}]})~",
       R"~(c.json: command "a": example "stop" is not a command (no command matches))~"},
      {R"~({"commands": [{"name": "a", "say": ["go"]}, {"name": "b", "say": ["go now"], "examples": ["go now"]}]})~",
       R"~(c.json: command "b": example "go now" is not a command (ambiguous: a, b))~"},  // a closing "now" is dropped
      {R"~({"commands": [{"name": "a", "say": ["go {d}"], "slots": {"d": {"enum": ["left", "right"]}}},
                         {"name": "b", "say": ["turn"], "examples": ["go left"]}]})~",
       R"~(c.json: command "b": example "go left" is command "a")~"},
      {R"~({"commands": [{"name": "a", "say": ["go"]})~", "c.json:1:43: expected ',' or ']' in array"},
  };
  for (const auto& [json, want] : table) EXPECT_EQ(error_of(json), want) << json;
}

}  // namespace

namespace {

// may_continue: is what was said so far the start of a longer phrase of the set? (The early end of speech waits for
// such a phrase: runtime/transcribe.h.) A set with a phrase that is a prefix of another and numbers that may grow.
TEST(VoiceCommands, MayContinue) {
  const CommandSet s = CommandSet::parse(R"~({"commands": [
    {"name": "all_lights", "say": ["lights on"]},
    {"name": "lights", "say": ["lights on in the {room}"], "slots": {"room": {"enum": ["kitchen", "loading bay"]}}},
    {"name": "volume", "say": ["volume {v}"], "slots": {"v": {"type": "integer", "minimum": 0, "maximum": 100}}},
    {"name": "line", "say": ["stop line {n}"], "slots": {"n": {"type": "integer", "minimum": 1, "maximum": 4}}},
    {"name": "wait", "say": ["wait {s} seconds"], "slots": {"s": {"type": "number", "minimum": 1, "maximum": 10}}},
    {"name": "status", "say": ["status report"]}
  ]})~", "set.json");
  const std::vector<std::pair<std::string, bool>> table = {
      {"lights on", true},                  // a command, and "lights on in the ..." goes on
      {"lights on in the", true},           // inside a phrase
      {"lights on in the loading", true},   // inside an enum value
      {"lights on in the loading bay.", false},
      {"lights on in the kitchen", false},
      {"volume twenty", true},              // "twenty five"
      {"volume 20", true},                  // the same value, however it was written
      {"volume one", true},                 // "one hundred"
      {"volume seventy-five", false},       // nothing in 0..100 starts "seventy-five ..."
      {"volume one hundred", false},        // 100 is the maximum
      {"volume seven", false},              // "seventy" is another word, not a continuation
      {"stop line three", false},           // 1..4: no value starts "three ..."
      {"stop line", true},
      {"wait two", true},                   // a number slot: "two point five"
      {"wait two seconds", false},
      {"status report", false},
      {"status", true},
      {"what is the weather", false},       // no phrase starts so
      {"", true},                           // nothing said yet
  };
  for (const auto& [u, want] : table) EXPECT_EQ(sotto::voice::may_continue(s, u), want) << u;
}

}  // namespace
