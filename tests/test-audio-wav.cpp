// test-audio-wav.cpp — WAV reader/writer: every sample format, chunk order, unknown/odd chunks, extensible,
// downmix, chunked decoding, and one-line errors for corrupt or unsupported files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <cstring>
#include <string>
#include <vector>

#include "audio/wav.h"
#include "core/error.h"

using namespace sotto::audio;

namespace {

void put16(std::vector<uint8_t>& b, uint32_t v) { b.push_back(uint8_t(v)); b.push_back(uint8_t(v >> 8)); }
void put32(std::vector<uint8_t>& b, uint32_t v) { put16(b, v & 0xFFFF); put16(b, v >> 16); }
void put_id(std::vector<uint8_t>& b, const char* id) { b.insert(b.end(), id, id + 4); }

std::vector<uint8_t> chunk(const char* id, const std::vector<uint8_t>& body, bool pad = true) {
  std::vector<uint8_t> b;
  put_id(b, id);
  put32(b, uint32_t(body.size()));
  b.insert(b.end(), body.begin(), body.end());
  if (pad && (body.size() & 1)) b.push_back(0);
  return b;
}

std::vector<uint8_t> fmt_body(int tag, int ch, int rate, int bits, int block_align = -1) {
  std::vector<uint8_t> b;
  if (block_align < 0) block_align = ch * bits / 8;
  put16(b, uint32_t(tag));
  put16(b, uint32_t(ch));
  put32(b, uint32_t(rate));
  put32(b, uint32_t(rate * block_align));
  put16(b, uint32_t(block_align));
  put16(b, uint32_t(bits));
  return b;
}

std::vector<uint8_t> extensible_body(int sub, int ch, int rate, int bits) {
  std::vector<uint8_t> b = fmt_body(0xFFFE, ch, rate, bits);
  put16(b, 22);
  put16(b, uint32_t(bits));
  put32(b, ch == 2 ? 3 : 4);
  put16(b, uint32_t(sub));
  const uint8_t tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
  b.insert(b.end(), tail, tail + 14);
  return b;
}

std::vector<uint8_t> riff(const std::vector<std::vector<uint8_t>>& chunks) {
  std::vector<uint8_t> body;
  put_id(body, "WAVE");
  for (const auto& c : chunks) body.insert(body.end(), c.begin(), c.end());
  std::vector<uint8_t> b;
  put_id(b, "RIFF");
  put32(b, uint32_t(body.size()));
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    read_wav_memory(bytes.data(), bytes.size(), "t.wav");
  } catch (const sotto::Error& e) {
    return e.what();
  }
  return "";
}

void expect_error(const std::vector<uint8_t>& bytes, const std::string& part) {
  const std::string m = error_of(bytes);
  EXPECT_NE(m.find("t.wav: "), std::string::npos) << m;
  EXPECT_NE(m.find(part), std::string::npos) << "message: " << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

}  // namespace

TEST(AudioWav, Pcm16RoundTripAndChunkOrder) {
  // data before fmt, an unknown odd-sized chunk (padded) in between.
  std::vector<uint8_t> data;
  const int16_t vals[] = {0, 32767, -32768, 1000, -1000, 7};
  for (int16_t v : vals) put16(data, uint16_t(v));
  auto bytes = riff({chunk("LIST", {1, 2, 3}), chunk("data", data), chunk("junk", {9}), chunk("fmt ", fmt_body(1, 2, 44100, 16))});
  Wav w = read_wav_memory(bytes.data(), bytes.size(), "t.wav");
  EXPECT_TRUE(w.warning.empty());
  ASSERT_EQ(w.n_channels, 2);
  EXPECT_EQ(w.sample_rate, 44100);
  ASSERT_EQ(w.n_frames(), 3u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(w.samples[size_t(i)], float(vals[i]) / 32768.0f);
  Wav m = read_wav_memory(bytes.data(), bytes.size(), "t.wav", true);
  ASSERT_EQ(m.n_channels, 1);
  EXPECT_FLOAT_EQ(m.samples[0], (0.0f + 32767.0f / 32768.0f) / 2);
  EXPECT_FLOAT_EQ(m.samples[1], (-1.0f + 1000.0f / 32768.0f) / 2);
}

TEST(AudioWav, AllSampleFormats) {
  // One frame per format holding a known value.
  struct Case { int tag, bits; std::vector<uint8_t> bytes; float want; };
  std::vector<Case> cases;
  cases.push_back({1, 8, {0xC0}, 0.5f});
  cases.push_back({1, 8, {0x00}, -1.0f});
  cases.push_back({1, 24, {0x00, 0x00, 0xC0}, -0.5f});
  cases.push_back({1, 24, {0xFF, 0xFF, 0x7F}, 8388607.0f / 8388608.0f});
  { std::vector<uint8_t> b; put32(b, 0x40000000u); cases.push_back({1, 32, b, 0.5f}); }
  { std::vector<uint8_t> b; float f = -0.25f; uint32_t u; std::memcpy(&u, &f, 4); put32(b, u); cases.push_back({3, 32, b, -0.25f}); }
  { std::vector<uint8_t> b; double d = 0.125; uint64_t u; std::memcpy(&u, &d, 8); put32(b, uint32_t(u)); put32(b, uint32_t(u >> 32)); cases.push_back({3, 64, b, 0.125f}); }
  for (const auto& c : cases) {
    auto bytes = riff({chunk("fmt ", fmt_body(c.tag, 1, 8000, c.bits)), chunk("data", c.bytes)});
    Wav w = read_wav_memory(bytes.data(), bytes.size(), "t.wav");
    ASSERT_EQ(w.samples.size(), 1u) << c.tag << "/" << c.bits;
    EXPECT_FLOAT_EQ(w.samples[0], c.want) << c.tag << "/" << c.bits;
    // Same through WAVE_FORMAT_EXTENSIBLE.
    auto ext = riff({chunk("fmt ", extensible_body(c.tag, 1, 8000, c.bits)), chunk("data", c.bytes)});
    Wav we = read_wav_memory(ext.data(), ext.size(), "t.wav");
    ASSERT_EQ(we.samples.size(), 1u);
    EXPECT_FLOAT_EQ(we.samples[0], c.want);
  }
}

TEST(AudioWav, WriteReadRoundTrip) {
  std::vector<float> x(300);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.9f * std::sin(0.05f * float(i));
  auto f = encode_wav(x.data(), 150, 2, 22050, WavWriteFormat::float32);
  Wav wf = read_wav_memory(f.data(), f.size(), "f.wav");
  EXPECT_EQ(wf.samples, x);
  EXPECT_EQ(wf.sample_rate, 22050);
  auto p = encode_wav(x.data(), 300, 1, 16000, WavWriteFormat::pcm_s16);
  Wav wp = read_wav_memory(p.data(), p.size(), "p.wav");
  ASSERT_EQ(wp.samples.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(wp.samples[i], x[i], 1.0 / 32768 + 1e-6);
  const std::string path = testing::TempDir() + "/sotto-audio-rt.wav";
  write_wav(path, x.data(), x.size(), 1, 16000);
  EXPECT_EQ(read_wav(path).samples, wp.samples);
}

TEST(AudioWav, ChunkedDecoderMatchesWhole) {
  std::vector<uint8_t> data;
  for (int i = 0; i < 999; ++i) { data.push_back(uint8_t(i * 7)); }  // 24-bit stereo frames: 6 bytes, 166 frames + 3
  WavFormat f;
  f.format = SampleFormat::pcm_s24;
  f.n_channels = 2;
  f.sample_rate = 48000;
  f.bits_per_sample = 24;
  f.block_align = 6;
  std::vector<float> whole, parts;
  PcmDecoder a(f, false);
  a.feed(data.data(), data.size(), whole);
  PcmDecoder b(f, false);
  for (size_t i = 0; i < data.size();) {
    size_t n = std::min<size_t>(1 + (i * 13) % 11, data.size() - i);
    b.feed(data.data() + i, n, parts);
    i += n;
  }
  EXPECT_EQ(whole.size(), 166u * 2);
  EXPECT_EQ(whole, parts);
  EXPECT_EQ(b.pending_bytes(), 3u);
}

TEST(AudioWav, TruncatedDataKeepsSamplesAndWarns) {
  std::vector<uint8_t> data;
  for (int i = 0; i < 10; ++i) put16(data, uint16_t(i * 100));
  auto bytes = riff({chunk("fmt ", fmt_body(1, 1, 16000, 16)), chunk("data", data)});
  bytes.resize(bytes.size() - 5);  // cut mid-sample
  Wav w = read_wav_memory(bytes.data(), bytes.size(), "t.wav");
  ASSERT_EQ(w.samples.size(), 7u);
  EXPECT_FLOAT_EQ(w.samples[6], 600.0f / 32768.0f);
  EXPECT_NE(w.warning.find("t.wav: data chunk truncated"), std::string::npos) << w.warning;
}

TEST(AudioWav, Errors) {
  std::vector<uint8_t> d16 = {0, 0, 1, 0};
  expect_error({}, "not a WAV file");
  expect_error({'R', 'I', 'F', 'F', 0, 0, 0, 0, 'A', 'V', 'I', ' '}, "not WAVE");
  auto ok = riff({chunk("fmt ", fmt_body(1, 1, 16000, 16)), chunk("data", d16)});
  auto bad = ok;
  std::memcpy(bad.data(), "OggS", 4);
  expect_error(bad, "not a RIFF file");
  std::memcpy(bad.data(), "RF64", 4);
  expect_error(bad, "RF64 (64-bit WAV) is not supported");
  expect_error(riff({chunk("data", d16)}), "missing fmt chunk");
  expect_error(riff({chunk("fmt ", fmt_body(1, 1, 16000, 16))}), "missing data chunk");
  expect_error(riff({chunk("fmt ", fmt_body(1, 0, 16000, 16)), chunk("data", d16)}), "0 channels");
  expect_error(riff({chunk("fmt ", fmt_body(1, 60000, 16000, 16)), chunk("data", d16)}), "absurd channel count");
  expect_error(riff({chunk("fmt ", fmt_body(1, 1, 0, 16)), chunk("data", d16)}), "absurd sample rate");
  expect_error(riff({chunk("fmt ", fmt_body(1, 1, 16000, 16, 4)), chunk("data", d16)}), "block align 4 does not match");
  expect_error(riff({chunk("fmt ", fmt_body(0x55, 1, 16000, 0, 1)), chunk("data", d16)}), "unsupported codec MP3");
  expect_error(riff({chunk("fmt ", fmt_body(0x11, 1, 16000, 4, 1)), chunk("data", d16)}), "IMA ADPCM");
  expect_error(riff({chunk("fmt ", extensible_body(2, 1, 16000, 16)), chunk("data", d16)}), "MS ADPCM (0x0002) in WAVE_FORMAT_EXTENSIBLE");
  expect_error(riff({chunk("fmt ", fmt_body(1, 1, 16000, 12, 2)), chunk("data", d16)}), "unsupported PCM bit depth 12");
  expect_error(riff({chunk("fmt ", fmt_body(3, 1, 16000, 16)), chunk("data", d16)}), "unsupported float bit depth 16");
  auto shortfmt = fmt_body(1, 1, 16000, 16);
  shortfmt.resize(12);
  expect_error(riff({chunk("fmt ", shortfmt), chunk("data", d16)}), "fmt chunk too small");
  auto cutfmt = riff({chunk("fmt ", fmt_body(1, 1, 16000, 16))});
  cutfmt.resize(cutfmt.size() - 6);
  expect_error(cutfmt, "fmt chunk truncated");
  // Absurd chunk size on an unknown chunk before fmt: fmt is never reached.
  auto huge = riff({chunk("junk", {1, 2})});
  huge[16] = 0xFF; huge[17] = 0xFF; huge[18] = 0xFF; huge[19] = 0x7F;
  expect_error(huge, "missing fmt chunk");
  // Missing file.
  try {
    read_wav("/nonexistent/dir/x.wav");
    ADD_FAILURE();
  } catch (const sotto::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.wav: cannot open"), std::string::npos);
  }
}

TEST(AudioWav, FuzzNeverCrashes) {
  auto base = riff({chunk("fmt ", fmt_body(1, 2, 16000, 16)), chunk("LIST", {1, 2, 3, 4, 5}), chunk("data", std::vector<uint8_t>(64, 3))});
  uint32_t s = 12345;
  for (int it = 0; it < 3000; ++it) {
    auto b = base;
    for (int k = 0; k < 3; ++k) {
      s = s * 1664525u + 1013904223u;
      b[(s >> 8) % b.size()] = uint8_t(s >> 24);
    }
    s = s * 1664525u + 1013904223u;
    if (it % 3 == 0) b.resize((s >> 8) % b.size());
    try {
      Wav w = read_wav_memory(b.data(), b.size(), "t.wav");
      EXPECT_EQ(w.samples.size() % size_t(w.n_channels), 0u);
    } catch (const sotto::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("t.wav: ", 0), 0u) << e.what();
    }
  }
}

TEST(AudioWav, StreamFromPrefix) {
  // A float stereo file arriving in pieces: parse the header from the first 100 bytes, feed the rest.
  std::vector<float> x(2 * 500);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(0.01 * double(i))) * 0.7f;
  auto whole = encode_wav(x.data(), 500, 2, 48000, WavWriteFormat::float32);
  const WavLayout lay = parse_wav_layout(whole.data(), 100, "s.wav");
  EXPECT_EQ(lay.declared_data_size, 500u * 8u);
  EXPECT_EQ(lay.data_size, 100u - lay.data_offset);
  EXPECT_NE(lay.warning.find("truncated"), std::string::npos);
  PcmDecoder dec(lay.fmt, false);
  std::vector<float> got;
  for (size_t i = lay.data_offset; i < whole.size(); i += 77) dec.feed(whole.data() + i, std::min<size_t>(77, whole.size() - i), got);
  EXPECT_EQ(got, x);
}

TEST(AudioWav, PartialFrameAndTrailingChunks) {
  std::vector<uint8_t> data = {1, 0, 2, 0, 3};  // 16-bit stereo: one frame and one stray byte
  auto bytes = riff({chunk("fmt ", fmt_body(1, 2, 8000, 16)), chunk("data", data), chunk("LIST", {1, 2, 3, 4})});
  Wav w = read_wav_memory(bytes.data(), bytes.size(), "t.wav");
  ASSERT_EQ(w.n_frames(), 1u);
  EXPECT_NE(w.warning.find("mid-frame"), std::string::npos);
}

TEST(AudioWav, OddChunkWithoutPadByte) {
  std::vector<uint8_t> d16 = {0, 64};  // one sample: 0x4000 = 0.5
  auto bytes = riff({chunk("fmt ", fmt_body(1, 1, 8000, 16)), chunk("note", {'a', 'b', 'c'}, false), chunk("data", d16)});
  Wav w = read_wav_memory(bytes.data(), bytes.size(), "t.wav");
  ASSERT_EQ(w.samples.size(), 1u);
  EXPECT_FLOAT_EQ(w.samples[0], 0.5f);
}

TEST(AudioWav, ThreeChannelU8Downmix) {
  // Frames (u8): [192, 64, 128] -> (0.5 - 0.5 + 0) / 3 = 0; [255, 255, 0] -> (127/128 * 2 - 1) / 3.
  auto bytes = riff({chunk("fmt ", fmt_body(1, 3, 11025, 8)), chunk("data", {192, 64, 128, 255, 255, 0})});
  Wav w = read_wav_memory(bytes.data(), bytes.size(), "t.wav", true);
  ASSERT_EQ(w.n_channels, 1);
  ASSERT_EQ(w.samples.size(), 2u);
  EXPECT_FLOAT_EQ(w.samples[0], 0.0f);
  EXPECT_FLOAT_EQ(w.samples[1], (127.0f / 128 * 2 - 1) / 3);
  EXPECT_EQ(w.fmt.n_channels, 3);
  EXPECT_EQ(w.sample_rate, 11025);
}

// Reads are capped (issue 15: `sotto transcribe /dev/zero` grew without bound): a file that is not RIFF/WAVE
// stops after its first bytes; a WAV larger than the cap is refused naming the limit.
TEST(AudioWav, ReadsAreCapped) {
  try {
    read_wav("/dev/zero");
    ADD_FAILURE() << "/dev/zero read";
  } catch (const sotto::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/zero: not a RIFF file"), std::string::npos) << e.what();
  }
  const std::string p = (std::filesystem::temp_directory_path() / "sotto-wav-cap.wav").string();
  const auto bytes = riff({chunk("fmt ", fmt_body(1, 1, 16000, 16)), chunk("data", std::vector<uint8_t>(200000, 1))});
  std::FILE* f = std::fopen(p.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  EXPECT_EQ(read_wav(p).samples.size(), 100000u);
  EXPECT_EQ(read_wav(p, false, bytes.size()).samples.size(), 100000u);
  try {
    read_wav(p, false, 128 << 10);
    ADD_FAILURE() << "read past the cap";
  } catch (const sotto::Error& e) {
    EXPECT_NE(std::string(e.what()).find(p + ": larger than the 128 KiB limit for a WAV file"), std::string::npos) << e.what();
  }
  EXPECT_EQ(kMaxWavBytes, size_t(2) << 30);
  std::filesystem::remove(p);
}

// Float samples no microphone gives (issue 15): NaN/Inf used to reach the model (an empty transcript, exit 0)
// and a 1e38 sample changed the text. They are repaired (NaN/Inf -> 0) and clipped to [-1, 1], with a warning
// that counts them; clean files get no warning.
TEST(AudioWav, NonFiniteAndHugeFloatSamplesAreRepairedWithAWarning) {
  auto f32_file = [](const std::vector<float>& v) {
    std::vector<uint8_t> d(v.size() * 4);
    std::memcpy(d.data(), v.data(), d.size());
    return riff({chunk("fmt ", fmt_body(3, 1, 16000, 32)), chunk("data", d)});
  };
  auto f64_file = [](const std::vector<double>& v) {
    std::vector<uint8_t> d(v.size() * 8);
    std::memcpy(d.data(), v.data(), d.size());
    return riff({chunk("fmt ", fmt_body(3, 1, 16000, 64)), chunk("data", d)});
  };
  const float inf = INFINITY, nan = NAN;
  auto w = f32_file({0.5f, nan, -inf, inf, 1e38f, -3.0f, 1.0f, -0.25f});
  Wav a = read_wav_memory(w.data(), w.size(), "t.wav");
  EXPECT_EQ(a.samples, (std::vector<float>{0.5f, 0.0f, 0.0f, 0.0f, 1.0f, -1.0f, 1.0f, -0.25f}));
  EXPECT_EQ(a.warning, "t.wav: 3 samples were NaN or infinite (set to 0), 2 samples were outside [-1, 1] (clipped)");
  auto d = f64_file({1e300, -1e300, double(NAN), 0.125});
  Wav b = read_wav_memory(d.data(), d.size(), "t.wav");
  EXPECT_EQ(b.samples, (std::vector<float>{1.0f, -1.0f, 0.0f, 0.125f}));
  EXPECT_EQ(b.warning, "t.wav: 1 sample was NaN or infinite (set to 0), 2 samples were outside [-1, 1] (clipped)");
  // Stereo downmix sees repaired samples: (NaN, 0.5) -> 0.25.
  std::vector<float> st = {nan, 0.5f};
  std::vector<uint8_t> sd(8);
  std::memcpy(sd.data(), st.data(), 8);
  auto s2 = riff({chunk("fmt ", fmt_body(3, 2, 16000, 32)), chunk("data", sd)});
  Wav c = read_wav_memory(s2.data(), s2.size(), "t.wav", true);
  EXPECT_EQ(c.samples, (std::vector<float>{0.25f}));
  auto clean = f32_file({0.0f, 1.0f, -1.0f, 0.5f});
  EXPECT_EQ(read_wav_memory(clean.data(), clean.size(), "t.wav").warning, "");
  // The streaming decoder counts the same way.
  PcmDecoder dec(a.fmt, false);
  std::vector<float> out;
  const size_t off = w.size() - 32;
  for (size_t k = off; k < w.size(); k += 3) dec.feed(w.data() + k, std::min<size_t>(3, w.size() - k), out);
  EXPECT_EQ(out, a.samples);
  EXPECT_EQ(dec.n_nonfinite(), 3u);
  EXPECT_EQ(dec.n_clipped(), 2u);
}
