// speech-confidence.cpp — see speech-confidence.h.
#include "runtime/speech-confidence.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "core/json.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace sotto {
namespace {

bool separator(unsigned char c) { return c == ' ' || c < 0x20 || c == 0x7F; }

// A word compared for repetition: ASCII letters lower-cased, punctuation at either end dropped ("Tablet," ==
// "tablet"); a word of punctuation only stays as it is.
std::string norm(const std::string& w) {
  size_t a = 0, b = w.size();
  auto alnum = [](unsigned char c) { return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); };
  while (a < b && !alnum((unsigned char)w[a])) a++;
  while (b > a && !alnum((unsigned char)w[b - 1])) b--;
  if (a == b) return w;
  std::string o = w.substr(a, b - a);
  for (char& c : o) {
    if (c >= 'A' && c <= 'Z') c = char(c | 0x20);
  }
  return o;
}

std::string fmt2(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

}  // namespace

std::string speech_text_utf8(const std::string& s) {
  std::string o;
  for (const unicode::CodePoint& c : unicode::decode_utf8(s)) {
    append_utf8(o, c.cp == unicode::kInvalid ? 0xFFFDu : c.cp < 0x20 || c.cp == 0x7F ? uint32_t(' ') : c.cp);
  }
  return o;
}

const char* speech_flag_name(SpeechFlag::Kind k) {
  switch (k) {
    case SpeechFlag::low_confidence: return "low_confidence";
    case SpeechFlag::repetition: return "repetition";
    case SpeechFlag::too_many_words: return "too_many_words";
    case SpeechFlag::low_phrase_confidence: return "low_phrase_confidence";
  }
  return "?";
}

std::vector<TranscriptWord> group_pieces(const std::vector<std::string>& pieces, const std::vector<float>& probs,
                                         const std::string& text) {
  if (pieces.size() != probs.size()) fail("group_words: ", std::to_string(pieces.size()), " tokens but ", std::to_string(probs.size()), " probabilities");
  struct Raw {
    std::string bytes;
    float conf = 1.0f;
    int first = -1, last = -1;
  };
  std::vector<Raw> raw;
  bool in_word = false;
  for (size_t i = 0; i < pieces.size(); i++) {
    for (unsigned char c : pieces[i]) {
      if (separator(c)) {
        in_word = false;
        continue;
      }
      if (!in_word) {
        raw.push_back(Raw{});
        raw.back().first = int(i);
        in_word = true;
      }
      Raw& w = raw.back();
      w.bytes += char(c);
      if (w.last != int(i)) {
        w.last = int(i);
        w.conf = std::min(w.conf, probs[i]);
      }
    }
  }
  std::vector<TranscriptWord> out;
  size_t at = 0;
  for (const Raw& r : raw) {
    TranscriptWord w;
    w.text = speech_text_utf8(r.bytes);
    const size_t pos = text.find(w.text, at);
    if (pos == std::string::npos) fail("group_words: the word \"", w.text, "\" is not in the segment's text");
    w.begin = pos;
    w.end = pos + w.text.size();
    at = w.end;
    w.confidence = r.conf;
    w.first_token = r.first;
    w.n_tokens = r.last - r.first + 1;
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<TranscriptWord> group_words(const Tokenizer& tok, const std::vector<int32_t>& ids,
                                        const std::vector<float>& probs, const std::string& text) {
  std::vector<std::string> pieces;
  pieces.reserve(ids.size());
  for (int32_t id : ids) pieces.push_back(tok.is_special(id) ? std::string() : tok.token_to_piece(id));
  return group_pieces(pieces, probs, text);
}

std::vector<SpeechFlag> speech_flags(const std::vector<TranscriptWord>& words, double seconds) {
  std::vector<SpeechFlag> flags;
  const int n = int(words.size());
  // Low confidence: runs of words under the threshold, the lowest named.
  for (int i = 0; i < n;) {
    if (words[size_t(i)].confidence >= kLowWordConfidence) {
      i++;
      continue;
    }
    int j = i;
    float lo = 1.0f;
    while (j < n && words[size_t(j)].confidence < kLowWordConfidence) lo = std::min(lo, words[size_t(j++)].confidence);
    flags.push_back({SpeechFlag::low_confidence, i, j, "low confidence (" + fmt2(lo) + ")"});
    i = j;
  }
  // Repetition: the shortest n-gram at i repeated in a row; the copies after the first are flagged.
  std::vector<std::string> w(static_cast<size_t>(n));
  for (int i = 0; i < n; i++) w[size_t(i)] = norm(words[size_t(i)].text);
  for (int i = 0; i < n;) {
    int run_end = -1, run_n = 0, copies = 0;
    for (int g = 1; g <= kMaxRepeatN && i + 2 * g <= n; g++) {
      int k = 1;
      while (i + (k + 1) * g <= n && std::equal(w.begin() + i, w.begin() + i + g, w.begin() + i + k * g)) k++;
      if (k >= kMinRepeats) {
        run_end = i + k * g, run_n = g, copies = k;
        break;
      }
    }
    if (run_end < 0) {
      i++;
      continue;
    }
    std::string gram;
    for (int k = i; k < i + run_n; k++) gram += (k > i ? " " : "") + w[size_t(k)];
    flags.push_back({SpeechFlag::repetition, i + run_n, run_end, "repeated " + std::to_string(copies) + " times: \"" + gram + "\""});
    i = run_end;
  }
  // Too many words for the audio.
  const int plausible = int(kMaxWordsPerSecond * std::max(0.0, seconds)) + 1;
  if (n > plausible) {
    flags.push_back({SpeechFlag::too_many_words, plausible, n,
                     std::to_string(n) + " words in " + fmt2(seconds) + " s of audio (at most " + std::to_string(plausible) +
                         " plausible)"});
  }
  // The whole phrase unsure.
  if (n > 0) {
    double sum = 0;
    for (const TranscriptWord& x : words) sum += x.confidence;
    if (sum / n < kLowPhraseConfidence) {
      flags.push_back({SpeechFlag::low_phrase_confidence, 0, n, "the whole phrase is uncertain (mean confidence " + fmt2(sum / n) + ")"});
    }
  }
  std::stable_sort(flags.begin(), flags.end(), [](const SpeechFlag& a, const SpeechFlag& b) {
    return a.first_word != b.first_word ? a.first_word < b.first_word : a.kind < b.kind;
  });
  return flags;
}

std::vector<bool> uncertain_words(const std::vector<TranscriptWord>& words, const std::vector<SpeechFlag>& flags) {
  std::vector<bool> u(words.size(), false);
  for (size_t i = 0; i < words.size(); i++) u[i] = words[i].confidence < kLowWordConfidence;
  for (const SpeechFlag& f : flags) {
    for (int i = std::max(0, f.first_word); i < f.end_word && i < int(words.size()); i++) u[size_t(i)] = true;
  }
  return u;
}

std::string speech_confidence_json(const std::vector<TranscriptWord>& words, const std::vector<SpeechFlag>& flags) {
  const std::vector<bool> u = uncertain_words(words, flags);
  std::string o = "\"words\": [";
  char b[32];
  for (size_t i = 0; i < words.size(); i++) {
    const TranscriptWord& w = words[i];
    std::snprintf(b, sizeof b, "%.4f", double(w.confidence));
    o += (i ? ", " : "") + std::string("{\"text\": ") + json::quote(w.text) + ", \"begin\": " + std::to_string(w.begin) +
         ", \"end\": " + std::to_string(w.end) + ", \"confidence\": " + b + ", \"uncertain\": " + (u[i] ? "true" : "false") + "}";
  }
  o += "], \"flags\": [";
  for (size_t i = 0; i < flags.size(); i++) {
    const SpeechFlag& f = flags[i];
    o += (i ? ", " : "") + std::string("{\"kind\": \"") + speech_flag_name(f.kind) + "\", \"words\": [" +
         std::to_string(f.first_word) + ", " + std::to_string(f.end_word) + "], \"reason\": " + json::quote(f.reason) + "}";
  }
  return o + "]";
}

}  // namespace sotto
