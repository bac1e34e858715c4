// test-speaker-cli.cpp — `sotto transcribe --speakers [N]`: with the random-weight Moonshine and speaker fixtures
// (labels meaningless, format checked): --json gives every segment a "speaker" (1-based), text lines start with
// "Speaker N: ", and without --speakers nothing changes; bad input gives one line and exit code 1 (errors) or 2 (usage):
// a bad count, a missing or wrong speaker model, audio under 1 s, --speakers with --stream.
// End to end with the bundled models (models/sotto-asr-q8_0.gguf, models/sotto-speaker-f32.gguf): two espeak-ng voices
// (plain espeak-ng voices without the warp and tilt of the training speakers) take four turns with
// pauses; each turn's speech must carry one label, the two voices different ones.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "audio/resample.h"
#include "audio/wav.h"
#include "core/json.h"
#include "cli-run.h"
#include "espeak.h"

namespace {

using cli_run::Result;
using cli_run::run;
using cli_run::lines;

const std::string kSrc = SOTTO_SOURCE_DIR;
const std::string kAsr = kSrc + "/tests/fixtures/asr/moonshine-f32.gguf";
const std::string kSpk = kSrc + "/tests/fixtures/speaker/speaker-f32.gguf";

class SpeakerCli : public cli_run::CliTest {
 protected:
  SpeakerCli() : CliTest("speaker-cli") {}
  std::string wav(const std::string& name, const std::vector<float>& x) {
    const std::string p = dir_ + "/" + name;
    sotto::audio::write_wav(p, x.data(), x.size(), 1, 16000);
    return p;
  }
};

// Tone bursts of two pitches with pauses: 0.5 s silence, then 1.2 s each of 220 / 520 / 220 Hz (with harmonics).
std::vector<float> bursts() {
  std::vector<float> x(8000, 0.0f);
  for (double f : {220.0, 520.0, 220.0}) {
    for (int i = 0; i < 19200; i++) {
      const double t = i / 16000.0;
      x.push_back(float(0.2 * std::sin(2 * M_PI * f * t) + 0.1 * std::sin(4 * M_PI * f * t)));
    }
    x.resize(x.size() + 12000, 0.0f);
  }
  return x;
}

TEST_F(SpeakerCli, JsonAndTextCarrySpeakers) {
  const std::string in = wav("b.wav", bursts());
  const Result plain = run("transcribe -m " + kAsr + " " + in + " --json", false);
  ASSERT_EQ(plain.code, 0) << plain.out;
  EXPECT_EQ(plain.out.find("\"speaker\""), std::string::npos);
  for (const std::string n : {"", " 2"}) {
    const Result r = run("transcribe -m " + kAsr + " " + in + " --json --speaker-model " + kSpk + " --speakers" + n, false);
    ASSERT_EQ(r.code, 0) << r.out;
    const sotto::json::Value v = sotto::json::parse(r.out);
    const auto& segs = v.at("segments").arr();
    ASSERT_FALSE(segs.empty()) << r.out;
    for (const auto& s : segs) {
      const double k = s.at("speaker").number();
      EXPECT_GE(k, 1);
      EXPECT_LE(k, n.empty() ? 8 : 2);
      EXPECT_TRUE(s.find("text"));
    }
    const Result t = run("transcribe -m " + kAsr + " --speakers" + n + " " + in + " --speaker-model " + kSpk, false);
    ASSERT_EQ(t.code, 0) << t.out;
    EXPECT_EQ(lines(t.out), segs.size());
    EXPECT_EQ(t.out.rfind("Speaker ", 0), 0u) << t.out;
  }
}

TEST_F(SpeakerCli, BadInputIsOneLine) {
  const std::string in = wav("b.wav", bursts());
  const std::string short_in = wav("s.wav", std::vector<float>(12000, 0.1f));
  struct Case {
    std::string args, needle;
    int code;
  };
  const std::vector<Case> cases = {
      {"transcribe -m " + kAsr + " " + in + " --speakers 0", "--speakers takes a count of 1..8", 2},
      {"transcribe -m " + kAsr + " " + in + " --speakers 9", "--speakers takes a count of 1..8", 2},
      {"transcribe -m " + kAsr + " --speakers two " + in, "not 'two'", 2},
      {"transcribe -m " + kAsr + " " + in + " --speakers --speaker-model " + dir_ + "/none.gguf", "none.gguf", 1},
      {"transcribe -m " + kAsr + " " + in + " --speakers --speaker-model " + kAsr, "is not a speaker model", 1},
      {"transcribe -m " + kAsr + " " + short_in + " --speakers --speaker-model " + kSpk, "too short for --speakers", 1},
      {"transcribe -m " + kAsr + " --stream --speakers 2 --speaker-model " + kSpk, "not with --stream", 2},
      {"transcribe -m " + kAsr + " " + in + " --speaker-model " + kSpk, "--speaker-model is for --speakers", 2},
      {"transcribe -m " + kAsr + " " + in + " --speakers --speaker-merge 1.5", "cosines in -1..1", 2},
  };
  for (const auto& c : cases) {
    const Result r = run(c.args + " </dev/null");
    EXPECT_EQ(r.code, c.code) << c.args << "\n" << r.out;
    EXPECT_EQ(lines(r.out), 1u) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.args << "\n" << r.out;
  }
}

std::vector<float> speak(const std::string& dir, const std::string& voice, int speed, int pitch, const std::string& text) {
  const std::string path = dir + "/say.wav";
  const std::string cmd = "espeak-ng -v " + voice + " -s " + std::to_string(speed) + " -p " + std::to_string(pitch) +
                          " -w '" + path + "' '" + text + "' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) return {};
  sotto::audio::Wav w = sotto::audio::read_wav(path, true);
  return sotto::audio::resample(w.samples.data(), w.samples.size(), w.sample_rate, 16000);
}

TEST_F(SpeakerCli, TwoVoicesEndToEnd) {
  const std::string asr = kSrc + "/models/sotto-asr-q8_0.gguf", spk = kSrc + "/models/sotto-speaker-f32.gguf";
  if (!std::filesystem::exists(spk)) GTEST_SKIP() << "no bundled speaker model";
  if (!have_espeak()) {
    if (std::getenv("CI")) FAIL() << "espeak-ng not installed (tools/install-deps.sh installs it)";
    GTEST_SKIP() << "espeak-ng not installed";
  }
  struct Turn {
    int who;
    const char* text;
  };
  const std::vector<Turn> turns = {
      {0, "Good morning. What brings you in today?"},
      {1, "I have had a sore throat and a mild fever since Monday."},
      {0, "Any trouble swallowing, or a cough at night?"},
      {1, "Some trouble swallowing, but no cough. I took paracetamol twice a day."}};
  std::vector<float> x(6400, 0.0f);
  std::vector<std::array<double, 3>> truth;  // start s, end s, who
  for (const Turn& t : turns) {
    const std::vector<float> s = t.who == 0 ? speak(dir_, "en-us+m3", 150, 35, t.text)
                                            : speak(dir_, "en-gb-x-rp+f4", 170, 70, t.text);
    ASSERT_FALSE(s.empty());
    truth.push_back({x.size() / 16000.0, (x.size() + s.size()) / 16000.0, double(t.who)});
    x.insert(x.end(), s.begin(), s.end());
    x.resize(x.size() + 9600, 0.0f);  // 0.6 s pause (espeak-ng adds its own silence too)
  }
  const std::string in = wav("talk.wav", x);
  const Result r = run("transcribe -m " + asr + " " + in + " --json --speakers 2 --speaker-model " + spk, false);
  ASSERT_EQ(r.code, 0) << r.out;
  const sotto::json::Value v = sotto::json::parse(r.out);
  // Time of each (true voice, label) pair over the segments.
  std::map<std::pair<int, int>, double> overlap;
  for (const auto& s : v.at("segments").arr()) {
    const double a = s.at("start").number(), b = s.at("end").number();
    const int label = int(s.at("speaker").number());
    for (const auto& t : truth) {
      const double o = std::min(b, t[1]) - std::max(a, t[0]);
      if (o > 0) overlap[{int(t[2]), label}] += o;
    }
  }
  // Voice 0 speaks first: label 1; voice 1: label 2. Allow 10% of each voice's time on the wrong label.
  const double v0 = overlap[{0, 1}] + overlap[{0, 2}], v1 = overlap[{1, 1}] + overlap[{1, 2}];
  EXPECT_GT(overlap[std::make_pair(0, 1)], 0.9 * v0) << r.out;
  EXPECT_GT(overlap[std::make_pair(1, 2)], 0.9 * v1) << r.out;
  EXPECT_GT(v0, 3.0);
  EXPECT_GT(v1, 4.0);
}

}  // namespace
