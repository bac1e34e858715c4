// test-listen-cli.cpp — `sotto listen --commands SET.json`: --text maps each line of stdin to its JSON action (in-set
// commands with their slots and confirm flag, out-of-set speech as "not a command"); a WAV file and the same
// samples as --stream PCM give one JSON line per phrase with the phrases of `sotto transcribe` (start, end, text;
// the random-weight Moonshine fixture: its texts are noise, so none is a command) and a latency; bad input gives one
// line and exit code 2 (usage) or 1 (a bad command set, a missing file). With --partial, lines of the open phrase's
// text so far come before its final line, moving forward with the audio, and the finals do not change; with
// --endpoint (the fixture hears no command, so nothing ends early) the finals are the same, with their wait; with the
// bundled model and a set of what it heard, --endpoint 200 ends the phrase after 200 ms, unless the set has a longer
// phrase it starts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "audio/wav.h"
#include "cli-run.h"
#include "core/json.h"

namespace {

using cli_run::lines;
using cli_run::Result;
using cli_run::run;

const std::string kSrc = SOTTO_SOURCE_DIR;
const std::string kAsr = kSrc + "/tests/fixtures/asr/moonshine-f32.gguf";

const char* kSet = R"~({"commands": [
  {"name": "lights_on", "say": ["turn on the lights in the {room}"], "slots": {"room": {"enum": ["kitchen", "hall"]}}},
  {"name": "stop_line", "say": ["stop line {line}"], "slots": {"line": {"type": "integer", "minimum": 1, "maximum": 4}}, "confirm": true}
]})~";

class ListenCli : public cli_run::CliTest {
 protected:
  ListenCli() : CliTest("listen-cli") {}
  void SetUp() override {
    CliTest::SetUp();
    if (IsSkipped()) return;
    set_ = write("set.json", kSet);
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string set_;
};

TEST_F(ListenCli, TextLinesBecomeActions) {
  const std::string in = write("u.txt", "Turn on the lights in the kitchen.\r\nstop line three\nturn on the lights in the garage\n\n");
  const Result r = run("listen --commands " + set_ + " --text < " + in, false);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out,
            "{\"text\": \"Turn on the lights in the kitchen.\", \"command\": \"lights_on\", \"slots\": {\"room\": \"kitchen\"}, \"confirm\": false}\n"
            "{\"text\": \"stop line three\", \"command\": \"stop_line\", \"slots\": {\"line\": 3}, \"confirm\": true}\n"
            "{\"text\": \"turn on the lights in the garage\", \"command\": null, \"reason\": \"no command matches\"}\n"
            "{\"text\": \"\", \"command\": null, \"reason\": \"empty\"}\n");
}

// Tone bursts with pauses between them (the VAD closes a phrase at each pause).
std::vector<float> bursts() {
  std::vector<float> x(8000, 0.0f);
  for (double f : {220.0, 330.0, 440.0}) {
    for (int i = 0; i < 16000; i++) x.push_back(float(0.2 * std::sin(2 * M_PI * f * i / 16000.0)));
    x.resize(x.size() + 12000, 0.0f);
  }
  return x;
}

TEST_F(ListenCli, PhrasesOfAWavAndOfAStream) {
  const std::vector<float> x = bursts();
  const std::string wav = dir_ + "/b.wav";
  sotto::audio::write_wav(wav, x.data(), x.size(), 1, 16000);
  std::string pcm;
  for (float v : x) {
    const int16_t s = int16_t(std::lround(std::max(-1.0f, std::min(1.0f, v)) * 32767.0f));
    pcm += char(s & 0xff);
    pcm += char((s >> 8) & 0xff);
  }
  const std::string raw = write("b.pcm", pcm);
  const Result t = run("transcribe -m " + kAsr + " --json -t 1 " + wav, false);
  ASSERT_EQ(t.code, 0) << t.out;
  const auto want = sotto::json::parse(t.out).at("segments").arr();
  ASSERT_GE(want.size(), 2u) << t.out;
  for (const std::string& src : {wav, "--stream < " + raw, "--partial 200 " + wav, "--endpoint 200 --trace-endpoint " + wav}) {
    Result r = run("listen --commands " + set_ + " -m " + kAsr + " -t 1 " + src, false);
    ASSERT_EQ(r.code, 0) << r.out;
    // --partial: lines of what the open phrase says so far, before its final line; the finals as without it.
    std::string finals;
    int partials = 0, checks = 0;
    double fed_to = 0;
    for (size_t at = 0; at < r.out.size();) {
      const size_t nl = r.out.find('\n', at);
      const std::string line = r.out.substr(at, nl - at);
      at = nl + 1;
      const sotto::json::Value v = sotto::json::parse(line);
      if (v.find("check")) {  // --trace-endpoint: a pause check (the fixture's noise texts are no command: refused)
        checks++;
        EXPECT_FALSE(v.at("ended").boolean()) << line;
      } else if (v.find("partial")) {
        partials++;
        EXPECT_GE(v.at("end").number(), fed_to) << line;  // partials move forward with the audio
        fed_to = v.at("end").number();
        EXPECT_FALSE(v.find("command")) << line;
      } else {
        finals += line + "\n";
      }
    }
    if (src.rfind("--partial", 0) == 0) EXPECT_GE(partials, 3) << r.out; else EXPECT_EQ(partials, 0);
    const bool endpoint = src.rfind("--endpoint", 0) == 0;
    if (endpoint) EXPECT_GE(checks, int(want.size())) << r.out; else EXPECT_EQ(checks, 0);
    r.out = finals;
    ASSERT_EQ(lines(r.out), want.size()) << r.out;
    size_t at = 0;
    for (const auto& w : want) {
      const size_t nl = r.out.find('\n', at);
      const sotto::json::Value v = sotto::json::parse(r.out.substr(at, nl - at));
      at = nl + 1;
      EXPECT_NEAR(v.at("start").number(), w.at("start").number(), 0.0011) << src;
      EXPECT_NEAR(v.at("end").number(), w.at("end").number(), 0.0011) << src;
      EXPECT_EQ(v.at("text").str(), w.at("text").str()) << src;
      EXPECT_TRUE(v.at("command").is_null()) << r.out;
      EXPECT_GE(v.at("latency_ms").number(), 0.0);
      // --endpoint: no early end (no command), so each phrase waited the VAD's 400 ms from its end of speech.
      if (endpoint) {
        EXPECT_EQ(v.at("endpoint").str(), "silence") << r.out;
        EXPECT_GE(v.at("wait_ms").number(), 400.0) << r.out;
        EXPECT_NEAR(v.at("action_ms").number(), v.at("wait_ms").number() + v.at("latency_ms").number(), 0.11) << r.out;
        EXPECT_LE(v.at("speech_end").number(), v.at("end").number());
      }
    }
  }
}

// --endpoint on speech with the bundled model: a phrase that is a command of the set (the set is what the model hears
// for it) closes after 200 ms of silence, not 400; with a longer phrase in the set that it starts, it waits the 400.
TEST_F(ListenCli, EndpointEndsACommandEarlyUnlessItMayGoOn) {
  if (std::system("espeak-ng --version >/dev/null 2>&1") != 0) {
    if (std::getenv("CI")) FAIL() << "espeak-ng not installed (tools/install-deps.sh installs it)";
    GTEST_SKIP() << "espeak-ng not installed";
  }
  const std::string model = kSrc + "/models/sotto-asr-q8_0.gguf", wav = dir_ + "/cmd.wav";
  ASSERT_EQ(std::system(("espeak-ng -m -s 160 -w '" + wav + "' 'Switch on the kitchen lights. <break time=\"1s\"/>' 2>/dev/null").c_str()), 0);
  const std::string factory = kSrc + "/web/voice/factory.json";
  const Result heard = run("listen --commands " + factory + " -m " + model + " -t 1 --timings " + wav, false);
  ASSERT_EQ(heard.code, 0) << heard.out;
  ASSERT_EQ(lines(heard.out), 1u) << heard.out;
  const sotto::json::Value h = sotto::json::parse(heard.out);
  const std::string text = h.at("text").str();
  EXPECT_EQ(h.at("endpoint").str(), "silence");
  EXPECT_GE(h.at("wait_ms").number(), 400.0);
  const std::string one = write("heard.json", "{\"commands\": [{\"name\": \"heard\", \"say\": [" + sotto::json::quote(text) + "]}]}");
  const std::string two = write("longer.json", "{\"commands\": [{\"name\": \"heard\", \"say\": [" + sotto::json::quote(text) +
                                                   "]}, {\"name\": \"longer\", \"say\": [" + sotto::json::quote(text + " in the hall") + "]}]}");
  for (const auto& [set, early] : {std::pair{one, true}, std::pair{two, false}}) {
    const Result r = run("listen --commands " + set + " -m " + model + " -t 1 --endpoint 200 " + wav, false);
    ASSERT_EQ(r.code, 0) << r.out;
    ASSERT_EQ(lines(r.out), 1u) << r.out;
    const sotto::json::Value v = sotto::json::parse(r.out);
    EXPECT_EQ(v.at("text").str(), text);
    EXPECT_EQ(v.at("command").str(), "heard") << r.out;
    EXPECT_NEAR(v.at("end").number(), h.at("end").number(), 0.0011);
    EXPECT_EQ(v.at("endpoint").str(), early ? "complete" : "silence") << r.out;
    if (early) {
      EXPECT_GE(v.at("wait_ms").number(), 200.0) << r.out;
      EXPECT_LT(v.at("wait_ms").number(), 300.0) << r.out;  // 200 ms and the rest of its 100 ms chunk
    } else {
      EXPECT_GE(v.at("wait_ms").number(), 400.0) << r.out;
    }
    // The final's text is the pause check's decode (at 200 ms of the pause, in its 100 ms chunk), early or not.
    EXPECT_GE(v.at("decoded_ms").number(), 200.0) << r.out;
    EXPECT_LT(v.at("decoded_ms").number(), 300.0) << r.out;
  }
  // --endpoint-decode: the text decoded at the shorter pause, the end still decided at --endpoint; the same line.
  const Result r = run("listen --commands " + one + " -m " + model + " -t 1 --chunk-ms 20 --endpoint 150 --endpoint-decode 80 " + wav, false);
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(lines(r.out), 1u) << r.out;
  const sotto::json::Value v = sotto::json::parse(r.out);
  EXPECT_EQ(v.at("text").str(), text);
  EXPECT_EQ(v.at("endpoint").str(), "complete") << r.out;
  EXPECT_GE(v.at("wait_ms").number(), 150.0) << r.out;
  EXPECT_LT(v.at("wait_ms").number(), 170.0) << r.out;  // 150 ms and the rest of its 20 ms chunk
  EXPECT_GE(v.at("decoded_ms").number(), 80.0) << r.out;
  EXPECT_LT(v.at("decoded_ms").number(), 100.0) << r.out;
}

TEST_F(ListenCli, BadInputIsOneLine) {
  const std::string bad = write("bad.json", R"~({"commands": [{"name": "a", "say": ["go to {room}"]}]})~");
  const std::string wav = dir_ + "/s.wav";
  const std::vector<float> x(16000, 0.0f);
  sotto::audio::write_wav(wav, x.data(), x.size(), 1, 16000);
  struct Case {
    std::string args, needle;
    int code;
  };
  const std::vector<Case> cases = {
      {"listen --text", "--commands SET.json is required", 2},
      {"listen --commands " + set_, "give one of: a WAV file, --stream, --text", 2},
      {"listen --commands " + set_ + " --text " + wav, "give one of: a WAV file, --stream, --text", 2},
      {"listen --commands " + set_ + " --text -m " + kAsr, "--text reads text: no speech model", 2},
      {"listen --commands " + set_ + " --text --partial 200", "--partial is for speech, not --text", 2},
      {"listen --commands " + set_ + " --text --endpoint 200", "--endpoint and --timings are for speech, not --text", 2},
      {"listen --commands " + set_ + " --endpoint 20 " + wav, "--endpoint must be 0 (off) or in 50..390 ms", 2},
      {"listen --commands " + set_ + " --endpoint 400 " + wav, "--endpoint", 2},
      {"listen --commands " + set_ + " --eos-min 0.9 " + wav, "--eos-min, --endpoint-decode and --trace-endpoint need --endpoint MS", 2},
      {"listen --commands " + set_ + " --trace-endpoint " + wav, "--eos-min, --endpoint-decode and --trace-endpoint need --endpoint MS", 2},
      {"listen --commands " + set_ + " --endpoint-decode 80 " + wav, "--eos-min, --endpoint-decode and --trace-endpoint need --endpoint MS", 2},
      {"listen --commands " + set_ + " --endpoint 150 --endpoint-decode 200 " + wav, "--endpoint-decode must be 0 or in 50..--endpoint ms", 2},
      {"listen --commands " + set_ + " --endpoint 150 --endpoint-decode 30 " + wav, "--endpoint-decode must be 0 or in 50..--endpoint ms", 2},
      {"listen --commands " + set_ + " --endpoint 200 --eos-min -1 " + wav, "--eos-min must be a probability", 2},
      {"listen --commands " + bad + " --text", "bad.json: command \"a\": slot {room} in \"go to {room}\" is not declared", 1},
      {"listen --commands " + dir_ + "/none.json --text", "none.json: cannot open", 1},
      {"listen --commands " + set_ + " -m " + dir_ + "/none.gguf " + wav, "none.gguf", 1},
      {"listen --commands " + set_ + " -m " + kAsr + " " + dir_ + "/none.wav", "none.wav", 1},
  };
  for (const auto& c : cases) {
    const Result r = run(c.args + " </dev/null");
    EXPECT_EQ(r.code, c.code) << c.args << "\n" << r.out;
    EXPECT_EQ(lines(r.out), 1u) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.args << "\n" << r.out;
  }
}

}  // namespace
