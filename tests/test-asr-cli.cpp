// test-asr-cli.cpp — `sotto transcribe` end to end with the random-weight Moonshine fixture on tone-burst "phrases"
// written by the test (no espeak needed): text / --json / --srt agree on the segments; --stream on raw s16le PCM
// gives the same segments as the WAV (JSON Lines); a 44.1 kHz stereo WAV is downmixed and resampled; bad input
// (missing or corrupt WAV, a non-speech model, usage mistakes, an odd byte count on stdin) gives one line and the
// documented exit code (1 errors, 2 usage), never a crash.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "audio/wav.h"
#include "core/json.h"
#include "cli-run.h"

namespace {

using cli_run::Result;
using cli_run::run;

const std::string kModel = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/asr/moonshine-f32.gguf";

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) n++;
  return n;
}

// 0.5 s silence, then bursts of 1.0 s and 0.7 s of a 300 Hz tone with 1 s gaps, 0.8 s tail; at `rate`.
std::vector<float> bursts(int rate) {
  std::vector<float> x;
  auto silence = [&](double s) { x.resize(x.size() + size_t(s * rate), 0.0f); };
  auto tone = [&](double s) {
    for (int i = 0; i < int(s * rate); i++) x.push_back(0.3f * float(std::sin(2 * M_PI * 300.0 * i / rate)));
  };
  silence(0.5);
  tone(1.0);
  silence(1.0);
  tone(0.7);
  silence(0.8);
  return x;
}

class AsrCli : public cli_run::CliTest {
 protected:
  AsrCli() : CliTest("asr-cli") {}
};

TEST_F(AsrCli, FormatsAndStreamAgree) {
  const std::vector<float> x = bursts(16000);
  const std::string wav = dir_ + "/b.wav", raw = dir_ + "/b.raw";
  sotto::audio::write_wav(wav, x.data(), x.size(), 1, 16000);
  {
    std::ofstream f(raw, std::ios::binary);
    for (float v : x) {
      const int16_t s = int16_t(std::clamp<long>(std::lrint(v * 32768.0f), -32768, 32767));
      f.write(reinterpret_cast<const char*>(&s), 2);
    }
  }
  Result j = run("transcribe -m " + kModel + " " + wav + " --json", false);
  ASSERT_EQ(j.code, 0) << j.out;
  const sotto::json::Value doc = sotto::json::parse(j.out, "stdout");
  const auto& segs = doc.at("segments").arr();
  ASSERT_EQ(segs.size(), 2u) << j.out;
  EXPECT_NEAR(segs[0].at("start").number(), 0.45, 0.06);
  EXPECT_NEAR(segs[0].at("end").number(), 1.55, 0.06);
  EXPECT_NEAR(segs[1].at("start").number(), 2.45, 0.06);
  EXPECT_NEAR(segs[1].at("end").number(), 3.25, 0.06);
  EXPECT_NEAR(doc.at("duration").number(), 4.0, 1e-3);

  Result t = run("transcribe -m " + kModel + " " + wav, false);
  ASSERT_EQ(t.code, 0);
  EXPECT_EQ(t.out, segs[0].at("text").str() + "\n" + segs[1].at("text").str() + "\n");

  Result s = run("transcribe -m " + kModel + " " + wav + " --srt", false);
  ASSERT_EQ(s.code, 0);
  EXPECT_EQ(count(s.out, " --> "), 2u);
  EXPECT_EQ(s.out.rfind("1\n00:00:00,", 0), 0u) << s.out;

  // --stream: the same segments (raw PCM is the WAV's samples rounded to 16 bits, the same as the WAV holds).
  Result st = run("transcribe -m " + kModel + " --stream --json --chunk-ms 37 < " + raw, false);
  ASSERT_EQ(st.code, 0) << st.out;
  ASSERT_EQ(count(st.out, "\n"), 2u) << st.out;
  size_t line0 = st.out.find('\n');
  const auto a = sotto::json::parse(st.out.substr(0, line0), "line 1");
  const auto b = sotto::json::parse(st.out.substr(line0 + 1, st.out.size() - line0 - 2), "line 2");
  EXPECT_EQ(sotto::json::dump(a), sotto::json::dump(segs[0]));
  EXPECT_EQ(sotto::json::dump(b), sotto::json::dump(segs[1]));

  // An odd byte count: a warning, the same result.
  {
    std::ofstream f(raw, std::ios::binary | std::ios::app);
    f.put('\x01');
  }
  Result odd = run("transcribe -m " + kModel + " --stream < " + raw);
  EXPECT_EQ(odd.code, 0);
  EXPECT_NE(odd.out.find("odd byte count"), std::string::npos) << odd.out;
}

TEST_F(AsrCli, ResamplesStereo44k) {
  const std::vector<float> mono = bursts(44100);
  std::vector<float> st;
  for (float v : mono) {
    st.push_back(v);
    st.push_back(v);
  }
  const std::string wav = dir_ + "/s.wav";
  sotto::audio::write_wav(wav, st.data(), mono.size(), 2, 44100);
  Result j = run("transcribe -m " + kModel + " " + wav + " --json", false);
  ASSERT_EQ(j.code, 0) << j.out;
  const auto doc = sotto::json::parse(j.out, "stdout");
  ASSERT_EQ(doc.at("segments").arr().size(), 2u);
  EXPECT_NEAR(doc.at("segments").arr()[1].at("start").number(), 2.45, 0.06);
}

TEST_F(AsrCli, BadInputIsOneLine) {
  const std::string bad = dir_ + "/bad.wav";
  {
    std::ofstream f(bad, std::ios::binary);
    f << "RIFF\x10\0\0\0WAVEjunk";
  }
  struct Case {
    std::string args;
    int code;
    std::string says;
  };
  const Case cases[] = {
      {"transcribe " + bad, 1, "bad.wav"},  // the bundled model by default: the file's error
      {"transcribe -m " + kModel, 2, "give a WAV file or --stream"},
      {"transcribe -m " + kModel + " " + bad + " --json --srt", 2, "exclude"},
      {"transcribe -m " + kModel + " " + dir_ + "/missing.wav", 1, "missing.wav"},
      {"transcribe -m " + kModel + " " + bad, 1, "bad.wav"},
      {"transcribe -m " + std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/llama32-f32.gguf " + bad, 1,
       "not a speech model"},
      {"transcribe -m " + bad + " " + bad, 1, "bad.wav"},
  };
  for (const Case& c : cases) {
    Result r = run(c.args);
    EXPECT_EQ(r.code, c.code) << c.args << ": " << r.out;
    EXPECT_EQ(count(r.out, "\n"), 1u) << c.args << ": " << r.out;
    EXPECT_NE(r.out.find(c.says), std::string::npos) << c.args << ": " << r.out;
  }
}

}  // namespace

namespace {

// `sotto note AUDIO --asr-model M`: the recording is transcribed first (the text `sotto transcribe` prints, one
// phrase per line, phrases without text left out) and printed as the note's transcript section; audio without
// --asr-model uses the bundled speech model (bursts of noise: nothing to recognise, or text; either way one clean
// outcome); audio with a transcript too is a usage error.
TEST_F(AsrCli, NoteFromAudio) {
  const std::vector<float> x = bursts(16000);
  const std::string wav = dir_ + "/n.wav";
  sotto::audio::write_wav(wav, x.data(), x.size(), 1, 16000);
  Result t = run("transcribe -m " + kModel + " " + wav, false);
  ASSERT_EQ(t.code, 0) << t.out;
  std::string lines;  // the non-empty lines of the transcription
  for (size_t b = 0, e; b < t.out.size(); b = e + 1) {
    e = t.out.find('\n', b);
    if (e == std::string::npos) e = t.out.size();
    if (e > b) lines += t.out.substr(b, e - b) + "\n";
  }
  Result n = run("note " + wav + " --asr-model " + kModel + " --format markdown -q -t 2", false);
  if (lines.empty()) {  // the random model may say nothing
    EXPECT_EQ(n.code, 1) << n.out;
  } else {
    ASSERT_EQ(n.code, 0) << n.out;
    EXPECT_EQ(n.out.rfind("# Transcript\n\n" + lines + "\n", 0), 0u) << n.out;
    EXPECT_NE(n.out.find("# Clinical SOAP note"), std::string::npos) << n.out;
  }
  Result bundled = run("note " + wav + " --format json -q -t 2");
  if (bundled.code == 1) {
    EXPECT_EQ(count(bundled.out, "\n"), 1u) << bundled.out;
    EXPECT_NE(bundled.out.find("no speech recognised"), std::string::npos) << bundled.out;
  } else {
    EXPECT_EQ(bundled.code, 0) << bundled.out;
    EXPECT_EQ(bundled.out.rfind("{", 0), 0u) << bundled.out;
  }
  Result both = run("note " + wav + " --transcript " + wav + " --asr-model " + kModel);
  EXPECT_EQ(both.code, 2) << both.out;
}

}  // namespace
