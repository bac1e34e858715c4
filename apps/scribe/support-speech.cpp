// support-speech.cpp — see support-speech.h.
#include "scribe/support-speech.h"

#include <algorithm>

#include "core/error.h"

namespace sotto {
namespace {

struct WordRef {
  size_t begin, end;
  bool uncertain;
};
struct FlagRef {
  size_t first, end;
  std::string reason;
};

// One phrase appended at byte `base` of the transcript: its uncertain words as spans, the reasons of the flags
// that cover each word joined by "; " (a low-confidence word is always inside its low_confidence flag), runs of
// words with the same reason merged.
void add_phrase(const std::vector<WordRef>& words, const std::vector<FlagRef>& flags, size_t base,
                std::vector<UncertainSpeech>& out) {
  bool open = false;
  for (size_t i = 0; i < words.size(); i++) {
    if (!words[i].uncertain) {
      open = false;
      continue;
    }
    std::string reason;
    for (const FlagRef& f : flags) {
      if (i >= f.first && i < f.end) reason += (reason.empty() ? "" : "; ") + f.reason;
    }
    if (reason.empty()) reason = "uncertain speech";
    if (open && out.back().reason == reason) {
      out.back().end = base + words[i].end;
    } else {
      out.push_back({base + words[i].begin, base + words[i].end, reason});
      open = true;
    }
  }
}

}  // namespace

SpeechTranscript speech_transcript(const std::vector<TranscriptSegment>& segments) {
  SpeechTranscript t;
  for (const TranscriptSegment& s : segments) {
    if (s.text.empty()) continue;
    const std::vector<bool> u = uncertain_words(s.words, s.flags);
    std::vector<WordRef> words;
    std::vector<FlagRef> flags;
    for (size_t i = 0; i < s.words.size(); i++) words.push_back({s.words[i].begin, s.words[i].end, bool(u[i])});
    for (const SpeechFlag& f : s.flags) flags.push_back({size_t(f.first_word), size_t(f.end_word), f.reason});
    add_phrase(words, flags, t.text.size(), t.uncertain);
    t.text += s.text + "\n";
  }
  return t;
}

SpeechTranscript speech_transcript_from_json(const json::Value& v, const std::string& name) {
  const json::Value* segs = v.find("segments");
  if (!segs || !segs->is_array()) fail(name, ": not `sotto transcribe --json` output (no \"segments\" array)");
  SpeechTranscript t;
  for (const json::Value& s : segs->arr()) {
    const json::Value* text = s.find("text");
    if (!text || !text->is_string()) fail(name, ": a segment without \"text\"");
    if (text->str().empty()) continue;
    const size_t n = text->str().size();
    std::vector<WordRef> words;
    std::vector<FlagRef> flags;
    if (const json::Value* ws = s.find("words"); ws && ws->is_array()) {
      for (const json::Value& w : ws->arr()) {
        const json::Value *b = w.find("begin"), *e = w.find("end"), *u = w.find("uncertain");
        if (!b || !e || !b->is_integer_number() || !e->is_integer_number() || b->integer() < 0 ||
            e->integer() < b->integer() || size_t(e->integer()) > n) {
          fail(name, ": a word's \"begin\"/\"end\" are not byte offsets in its segment's text");
        }
        words.push_back({size_t(b->integer()), size_t(e->integer()), u && u->is_bool() && u->boolean()});
      }
    }
    if (const json::Value* fs = s.find("flags"); fs && fs->is_array()) {
      for (const json::Value& f : fs->arr()) {
        const json::Value *w = f.find("words"), *r = f.find("reason");
        if (!w || !w->is_array() || w->arr().size() != 2 || !w->arr()[0].is_integer_number() ||
            !w->arr()[1].is_integer_number() || w->arr()[0].integer() < 0 || w->arr()[1].integer() < w->arr()[0].integer()) {
          fail(name, ": a flag's \"words\" is not a [first, end) pair");
        }
        flags.push_back({size_t(w->arr()[0].integer()), size_t(w->arr()[1].integer()), r && r->is_string() ? r->str() : ""});
      }
    }
    add_phrase(words, flags, t.text.size(), t.uncertain);
    t.text += text->str() + "\n";
  }
  return t;
}

std::vector<UncertainSpeech> uncertain_from_json(const json::Value& v, size_t n, const std::string& name) {
  if (!v.is_array()) fail(name, ": uncertain speech must be an array of [begin, end, reason]");
  std::vector<UncertainSpeech> out;
  for (const json::Value& x : v.arr()) {
    if (!x.is_array() || x.arr().size() != 3 || !x.arr()[0].is_integer_number() || !x.arr()[1].is_integer_number() ||
        !x.arr()[2].is_string()) {
      fail(name, ": uncertain speech must be an array of [begin, end, reason]");
    }
    const int64_t b = x.arr()[0].integer(), e = x.arr()[1].integer();
    if (b < 0 || e < b || size_t(e) > n) {
      fail(name, ": uncertain span [", std::to_string(b), ", ", std::to_string(e), ") outside the ", std::to_string(n), "-byte transcript");
    }
    out.push_back({size_t(b), size_t(e), x.arr()[2].str()});
  }
  return out;
}

void mark_uncertain_speech(std::vector<FieldSupport>& support, const std::string& transcript,
                           const std::vector<UncertainSpeech>& uncertain) {
  if (uncertain.empty()) return;
  for (FieldSupport& f : support) {
    if (f.flagged || !f.checked || f.spans.empty()) continue;
    std::vector<std::string> why;
    bool all = true;
    for (const Span& sp : f.spans) {
      bool hit = false;
      for (const UncertainSpeech& u : uncertain) {
        if (u.begin < sp.end && sp.begin < u.end) {
          hit = true;
          const std::string w = "\"" + transcript.substr(u.begin, u.end - u.begin) + "\" (" + u.reason + ")";
          if (std::find(why.begin(), why.end(), w) == why.end()) why.push_back(w);
        }
      }
      if (!hit) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    f.flagged = true;
    f.uncertain_speech = std::move(why);
  }
}

}  // namespace sotto
