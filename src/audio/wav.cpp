// wav.cpp — RIFF/WAVE parsing, PCM/float decoding (incremental) and 16-bit/float writing. See wav.h.
#include "audio/wav.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <iterator>

#include "core/error.h"
#include "core/file.h"

namespace sotto::audio {
namespace {

uint16_t rd16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24); }

std::string fourcc(const uint8_t* p) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    char c = char(p[i]);
    s += (c >= 32 && c < 127) ? c : '?';
  }
  return s;
}

std::string codec_name(uint32_t tag) {
  switch (tag) {
    case 0x0002: return "MS ADPCM (0x0002)";
    case 0x0006: return "A-law (0x0006)";
    case 0x0007: return "mu-law (0x0007)";
    case 0x0011: return "IMA ADPCM (0x0011)";
    case 0x0031: return "GSM 6.10 (0x0031)";
    case 0x0050: return "MPEG audio (0x0050)";
    case 0x0055: return "MP3 (0x0055)";
    case 0x0161: return "WMA (0x0161)";
    case 0x00FF: return "AAC (0x00FF)";
    case 0x1610: return "HE-AAC (0x1610)";
    case 0xF1AC: return "FLAC (0xF1AC)";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "format tag 0x%04X", unsigned(tag));
      return buf;
    }
  }
}

// Four printable ASCII characters (with at least 8 bytes left for a chunk header).
bool is_chunk_id(const uint8_t* p, size_t left) {
  if (left < 8) return false;
  for (int i = 0; i < 4; ++i)
    if (p[i] < 32 || p[i] > 126) return false;
  return true;
}

// Tail of KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT after the 2-byte tag: {xxxx0000-0000-0010-8000-00AA00389B71}.
const uint8_t k_guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

WavFormat parse_fmt(const uint8_t* p, uint32_t size, const std::string& name) {
  if (size < 16) fail(name, ": fmt chunk too small (", std::to_string(size), " bytes, need 16)");
  uint32_t tag = rd16(p);
  WavFormat f;
  f.n_channels = rd16(p + 2);
  uint32_t rate = rd32(p + 4);
  f.block_align = rd16(p + 12);
  f.bits_per_sample = rd16(p + 14);
  if (tag == 0xFFFE) {
    if (size < 40 || rd16(p + 16) < 22) fail(name, ": WAVE_FORMAT_EXTENSIBLE fmt chunk too small (", std::to_string(size), " bytes, need 40)");
    uint32_t sub = rd16(p + 24);
    if (std::memcmp(p + 26, k_guid_tail, 14) != 0) fail(name, ": WAVE_FORMAT_EXTENSIBLE with an unknown subformat GUID");
    if (sub != 1 && sub != 3) fail(name, ": unsupported codec ", codec_name(sub), " in WAVE_FORMAT_EXTENSIBLE");
    tag = sub;
  }
  if (tag != 1 && tag != 3) fail(name, ": unsupported codec ", codec_name(tag), " (only PCM and IEEE float are read)");
  if (f.n_channels == 0) fail(name, ": fmt says 0 channels");
  if (f.n_channels > 256) fail(name, ": absurd channel count ", std::to_string(f.n_channels));
  if (rate == 0 || rate > 1536000) fail(name, ": absurd sample rate ", std::to_string(rate), " Hz");
  f.sample_rate = int(rate);
  const int b = f.bits_per_sample;
  if (tag == 1) {
    if (b == 8) f.format = SampleFormat::pcm_u8;
    else if (b == 16) f.format = SampleFormat::pcm_s16;
    else if (b == 24) f.format = SampleFormat::pcm_s24;
    else if (b == 32) f.format = SampleFormat::pcm_s32;
    else fail(name, ": unsupported PCM bit depth ", std::to_string(b), " (need 8, 16, 24 or 32)");
  } else {
    if (b == 32) f.format = SampleFormat::float32;
    else if (b == 64) f.format = SampleFormat::float64;
    else fail(name, ": unsupported float bit depth ", std::to_string(b), " (need 32 or 64)");
  }
  const int want = f.n_channels * b / 8;
  if (f.block_align != want)
    fail(name, ": block align ", std::to_string(f.block_align), " does not match ", std::to_string(f.n_channels),
         " channels x ", std::to_string(b), " bits (", std::to_string(want), ")");
  return f;
}

}  // namespace

WavLayout parse_wav_layout(const uint8_t* data, size_t size, const std::string& name) {
  WavLayout lay;
  if (size < 12) fail(name, ": not a WAV file (", std::to_string(size), " bytes, too short for a RIFF header)");
  const std::string riff = fourcc(data);
  if (riff == "RF64" || riff == "BW64") fail(name, ": ", riff, " (64-bit WAV) is not supported");
  if (riff == "RIFX") fail(name, ": big-endian RIFX WAV is not supported");
  if (riff != "RIFF") fail(name, ": not a RIFF file (starts with '", riff, "')");
  if (fourcc(data + 8) != "WAVE") fail(name, ": RIFF file is not WAVE (form type '", fourcc(data + 8), "')");
  bool have_fmt = false, have_data = false;
  WavFormat& fmt = lay.fmt;
  std::string& warning = lay.warning;
  size_t pos = 12;
  while (pos + 8 <= size) {
    const std::string id = fourcc(data + pos);
    const uint64_t csize = rd32(data + pos + 4);
    const size_t body = pos + 8;
    const size_t avail = size - body;
    if (id == "fmt ") {
      if (have_fmt) fail(name, ": two fmt chunks");
      if (csize > avail) fail(name, ": fmt chunk truncated (", std::to_string(csize), " bytes declared, ", std::to_string(avail), " present)");
      fmt = parse_fmt(data + body, uint32_t(csize), name);
      have_fmt = true;
    } else if (id == "data") {
      if (have_data) fail(name, ": two data chunks");
      have_data = true;
      lay.data_offset = body;
      lay.data_size = size_t(std::min<uint64_t>(csize, avail));
      lay.declared_data_size = csize;
      if (csize > avail) {
        warning = name + ": data chunk truncated (" + std::to_string(csize) + " bytes declared, " +
                  std::to_string(avail) + " present); kept the samples present";
      }
    }
    if (csize > avail) break;
    pos = body + size_t(csize) + size_t(csize & 1);
    // Some writers forget the pad byte after an odd-sized chunk: if the padded position holds no chunk id but
    // the unpadded one does, follow the writer.
    if ((csize & 1) && pos <= size) {
      const size_t left = size - pos;
      if (!is_chunk_id(data + pos, left) && is_chunk_id(data + pos - 1, left + 1)) pos -= 1;
    }
  }
  if (!have_fmt) fail(name, ": missing fmt chunk");
  if (!have_data) fail(name, ": missing data chunk");
  if (lay.data_size % size_t(fmt.block_align) != 0 && warning.empty())
    warning = name + ": data chunk ends mid-frame; dropped the partial frame";
  return lay;
}

PcmDecoder::PcmDecoder(const WavFormat& fmt, bool downmix_mono) : fmt_(fmt), downmix_(downmix_mono && fmt.n_channels > 1) {}

void PcmDecoder::decode_frames(const uint8_t* p, size_t n_frames, std::vector<float>& out) {
  const int nc = fmt_.n_channels;
  const int bps = fmt_.bits_per_sample / 8;
  const size_t base = out.size();
  out.resize(base + n_frames * size_t(out_channels()));
  float* o = out.data() + base;
  const float inv_nc = 1.0f / float(nc);
  auto repair = [this](float x) {
    if (!std::isfinite(x)) {
      ++n_nonfinite_;
      return 0.0f;
    }
    if (x > 1.0f || x < -1.0f) {
      ++n_clipped_;
      return x > 0 ? 1.0f : -1.0f;
    }
    return x;
  };
  for (size_t f = 0; f < n_frames; ++f) {
    float acc = 0.0f;
    for (int c = 0; c < nc; ++c, p += bps) {
      float v;
      switch (fmt_.format) {
        case SampleFormat::pcm_u8: v = (float(p[0]) - 128.0f) * (1.0f / 128.0f); break;
        case SampleFormat::pcm_s16: v = float(int16_t(rd16(p))) * (1.0f / 32768.0f); break;
        case SampleFormat::pcm_s24: {
          int32_t x = int32_t(uint32_t(p[0]) << 8 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 24) >> 8;
          v = float(x) * (1.0f / 8388608.0f);
          break;
        }
        case SampleFormat::pcm_s32: v = float(double(int32_t(rd32(p))) * (1.0 / 2147483648.0)); break;
        case SampleFormat::float32: { uint32_t u = rd32(p); std::memcpy(&v, &u, 4); v = repair(v); break; }
        case SampleFormat::float64: {
          uint64_t u = uint64_t(rd32(p)) | (uint64_t(rd32(p + 4)) << 32);
          double d;
          std::memcpy(&d, &u, 8);
          v = repair(std::isfinite(d) ? float(std::clamp(d, -2.0, 2.0)) : float(d));  // (no float overflow)
          break;
        }
        default: v = 0.0f;
      }
      if (downmix_) acc += v;
      else *o++ = v;
    }
    if (downmix_) *o++ = acc * inv_nc;
  }
}

void PcmDecoder::feed(const uint8_t* bytes, size_t n, std::vector<float>& out) {
  const size_t ba = size_t(fmt_.block_align);
  if (!pending_.empty()) {
    const size_t take = std::min(n, ba - pending_.size());
    pending_.insert(pending_.end(), bytes, bytes + take);
    bytes += take;
    n -= take;
    if (pending_.size() < ba) return;
    decode_frames(pending_.data(), 1, out);
    pending_.clear();
  }
  const size_t frames = n / ba;
  decode_frames(bytes, frames, out);
  pending_.assign(bytes + frames * ba, bytes + n);
}

std::string PcmDecoder::repair_warning(const std::string& name) const {
  auto count = [](uint64_t n) { return std::to_string(n) + (n == 1 ? " sample was" : " samples were"); };
  std::string w;
  if (n_nonfinite_) w = count(n_nonfinite_) + " NaN or infinite (set to 0)";
  if (n_clipped_) w += (w.empty() ? "" : ", ") + count(n_clipped_) + " outside [-1, 1] (clipped)";
  return w.empty() ? w : name + ": " + w;
}

Wav read_wav_memory(const uint8_t* data, size_t size, const std::string& name, bool downmix_mono) {
  Wav w;
  const WavLayout lay = parse_wav_layout(data, size, name);
  w.fmt = lay.fmt;
  w.warning = lay.warning;
  const size_t off = lay.data_offset, len = lay.data_size;
  PcmDecoder dec(w.fmt, downmix_mono);
  w.n_channels = dec.out_channels();
  w.sample_rate = w.fmt.sample_rate;
  w.samples.reserve(len / size_t(w.fmt.block_align) * size_t(w.n_channels));
  dec.feed(data + off, len, w.samples);
  if (std::string r = dec.repair_warning(name); !r.empty()) w.warning += (w.warning.empty() ? "" : "; ") + r;
  return w;
}

Wav read_wav(const std::string& path, bool downmix_mono, size_t max_bytes) {
  // stdio rather than fstream: the wasm32-wasi libc++ has no <fstream>.
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) fail(path, ": cannot open (", std::strerror(errno), ")");
  std::vector<uint8_t> bytes;
  uint8_t buf[65536];
  size_t k;
  bool bad = false, too_big = false, checked = false;
  while ((k = std::fread(buf, 1, sizeof buf, in)) > 0) {
    if (k > max_bytes - bytes.size()) {
      too_big = true;
      break;
    }
    bytes.insert(bytes.end(), buf, buf + k);
    // Not a RIFF/WAVE header: stop at once (a device such as /dev/zero would otherwise be read to the cap).
    if (!checked && bytes.size() >= 12) {
      checked = true;
      if (fourcc(bytes.data()) != "RIFF" || fourcc(bytes.data() + 8) != "WAVE") break;
    }
  }
  bad = std::ferror(in) != 0;
  std::fclose(in);
  if (too_big) {
    fail(path, ": larger than the ", size_limit_text(max_bytes), " limit for a WAV file (split it, or stream it with "
         "`sotto transcribe --stream`)");
  }
  if (bad) fail(path, ": read error");
  return read_wav_memory(bytes.data(), bytes.size(), path, downmix_mono);
}

namespace {
void put16(std::vector<uint8_t>& b, uint32_t v) { b.push_back(uint8_t(v)); b.push_back(uint8_t(v >> 8)); }
void put32(std::vector<uint8_t>& b, uint32_t v) { put16(b, v & 0xFFFF); put16(b, v >> 16); }
void put_id(std::vector<uint8_t>& b, const char* id) { b.insert(b.end(), id, id + 4); }
}  // namespace

std::vector<uint8_t> encode_wav(const float* samples, size_t n_frames, int n_channels, int sample_rate,
                                WavWriteFormat format) {
  if (n_channels <= 0 || sample_rate <= 0) fail("encode_wav: bad channels/rate");
  const bool f32 = format == WavWriteFormat::float32;
  const uint32_t bps = f32 ? 4 : 2;
  const uint64_t data_bytes = uint64_t(n_frames) * uint64_t(n_channels) * bps;
  if (data_bytes > 0xFFFFFF00ull) fail("encode_wav: audio too long for a RIFF WAV (", std::to_string(data_bytes), " bytes)");
  std::vector<uint8_t> b;
  b.reserve(size_t(data_bytes) + 64);
  const uint32_t fmt_size = f32 ? 18 : 16;
  const uint32_t fact = f32 ? 12 : 0;
  put_id(b, "RIFF");
  put32(b, uint32_t(4 + 8 + fmt_size + fact + 8 + data_bytes));
  put_id(b, "WAVE");
  put_id(b, "fmt ");
  put32(b, fmt_size);
  put16(b, f32 ? 3 : 1);
  put16(b, uint32_t(n_channels));
  put32(b, uint32_t(sample_rate));
  put32(b, uint32_t(sample_rate) * uint32_t(n_channels) * bps);
  put16(b, uint32_t(n_channels) * bps);
  put16(b, bps * 8);
  if (f32) {
    put16(b, 0);
    put_id(b, "fact");
    put32(b, 4);
    put32(b, uint32_t(n_frames));
  }
  put_id(b, "data");
  put32(b, uint32_t(data_bytes));
  const size_t n = n_frames * size_t(n_channels);
  for (size_t i = 0; i < n; ++i) {
    if (f32) {
      uint32_t u;
      std::memcpy(&u, &samples[i], 4);
      put32(b, u);
    } else {
      // Same scale as the reader (v / 32768), so decoded 16-bit audio re-encodes exactly.
      const long v = std::lrintf(std::clamp(samples[i], -1.0f, 1.0f) * 32768.0f);
      put16(b, uint16_t(int16_t(std::clamp(v, -32768L, 32767L))));
    }
  }
  return b;
}

void write_wav(const std::string& path, const float* samples, size_t n_frames, int n_channels, int sample_rate,
               WavWriteFormat format) {
  const std::vector<uint8_t> b = encode_wav(samples, n_frames, n_channels, sample_rate, format);
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) fail(path, ": cannot create (", std::strerror(errno), ")");
  const bool ok = std::fwrite(b.data(), 1, b.size(), out) == b.size();
  if ((std::fclose(out) != 0) || !ok) fail(path, ": write error");
}

}  // namespace sotto::audio
