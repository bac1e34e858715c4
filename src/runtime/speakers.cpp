// speakers.cpp — turns, embeddings, clustering and transcript labels (contract in speakers.h).
#include "runtime/speakers.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "audio/mel.h"
#include "core/error.h"
#include "models/speaker.h"

namespace sotto {
namespace {

constexpr int kHop = 160;  // samples per log-mel frame

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); i++) {
    d += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return d / std::sqrt(std::max(na * nb, 1e-30));
}

// The log-mel of the whole recording as frames [n_frames][n_mels], sliced per window.
struct MelFrames {
  int n_mels = 0, n_frames = 0;
  std::vector<float> data;
  std::vector<float> embed(const SpeakerModel& m, int64_t s, int64_t e) const {
    int f0 = int(std::clamp<int64_t>(s / kHop, 0, n_frames - 1));
    int f1 = int(std::clamp<int64_t>((e + kHop - 1) / kHop, f0 + 1, n_frames));
    return m.embed_mel(data.data() + size_t(f0) * size_t(n_mels), f1 - f0);
  }
};

MelFrames mel_frames(const float* x, int64_t n, int n_mels) {
  audio::MelOptions mo;
  mo.n_mels = n_mels;
  audio::LogMel lm = audio::MelSpectrogram(mo).compute(x, size_t(n));
  MelFrames out{lm.n_mels, lm.n_frames, std::vector<float>(lm.data.size())};
  for (int m = 0; m < lm.n_mels; m++) {
    for (int t = 0; t < lm.n_frames; t++) out.data[size_t(t) * size_t(n_mels) + size_t(m)] = lm.data[size_t(m) * size_t(lm.n_frames) + size_t(t)];
  }
  return out;
}

// Change points inside [s, e): moments on the hop grid where the windows each side differ most.
std::vector<int64_t> change_points(const SpeakerModel& m, const MelFrames& mf, int64_t s, int64_t e,
                                   const SpeakerOptions& opt) {
  const int64_t win = int64_t(opt.window_s * 16000), hop = std::max<int64_t>(1, int64_t(opt.hop_s * 16000));
  if (e - s < 2 * win) return {};
  std::vector<std::vector<float>> w;  // window k covers [s + k hop, s + k hop + win)
  for (int64_t a = s; a + win <= e; a += hop) w.push_back(mf.embed(m, a, a + win));
  const int64_t per = win / hop;  // windows k and k + per are adjacent when win is a multiple of hop
  std::vector<std::pair<double, int64_t>> cand;  // (cosine, moment)
  for (size_t k = 0; k + size_t(per) < w.size(); k++) {
    const double c = cosine(w[k], w[k + size_t(per)]);
    if (c < opt.change_threshold) cand.push_back({c, s + int64_t(k + size_t(per)) * hop});
  }
  std::sort(cand.begin(), cand.end());
  std::vector<int64_t> cuts;
  for (const auto& [c, t] : cand) {
    bool far = true;
    for (int64_t u : cuts) far = far && std::llabs(u - t) >= win;
    if (far) cuts.push_back(t);
  }
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

std::vector<double> centroid(const std::vector<std::vector<float>>& emb, const std::vector<double>& w,
                             const std::vector<int>& members) {
  std::vector<double> c(emb[size_t(members[0])].size(), 0.0);
  for (int i : members) {
    for (size_t d = 0; d < c.size(); d++) c[d] += w[size_t(i)] * emb[size_t(i)][d];
  }
  double n = 1e-30;
  for (double v : c) n += v * v;
  for (double& v : c) v /= std::sqrt(n);
  return c;
}

double cos_to(const std::vector<double>& c, const std::vector<float>& e) {
  double d = 0, n = 1e-30;
  for (size_t i = 0; i < c.size(); i++) {
    d += c[i] * e[i];
    n += double(e[i]) * e[i];
  }
  return d / std::sqrt(n);
}

}  // namespace

std::vector<int> cluster_speakers(const std::vector<std::vector<float>>& emb, const std::vector<double>& seconds,
                                  const SpeakerOptions& opt) {
  const size_t n = emb.size();
  if (n == 0) return {};
  if (seconds.size() != n) fail("cluster_speakers: ", std::to_string(n), " embeddings but ", std::to_string(seconds.size()), " durations");
  std::vector<double> w(n);
  for (size_t i = 0; i < n; i++) w[i] = std::max(seconds[i], 1e-3);
  // Agglomerate the long turns (all turns when none is long).
  std::vector<std::vector<int>> cl;
  for (size_t i = 0; i < n; i++) {
    if (seconds[i] >= opt.min_cluster_s) cl.push_back({int(i)});
  }
  if (cl.empty()) {
    for (size_t i = 0; i < n; i++) cl.push_back({int(i)});
  }
  std::vector<std::vector<double>> cen;
  for (const auto& c : cl) cen.push_back(centroid(emb, w, c));
  for (;;) {
    if (opt.n_speakers > 0 && int(cl.size()) <= opt.n_speakers) break;
    if (cl.size() <= 1) break;
    double best = -2;
    size_t bi = 0, bj = 1;
    for (size_t i = 0; i < cl.size(); i++) {
      for (size_t j = i + 1; j < cl.size(); j++) {
        double d = 0;
        for (size_t k = 0; k < cen[i].size(); k++) d += cen[i][k] * cen[j][k];
        if (d > best) best = d, bi = i, bj = j;
      }
    }
    if (opt.n_speakers <= 0 && best < opt.merge_threshold) break;
    cl[bi].insert(cl[bi].end(), cl[bj].begin(), cl[bj].end());
    cl.erase(cl.begin() + std::ptrdiff_t(bj));
    cen.erase(cen.begin() + std::ptrdiff_t(bj));
    cen[bi] = centroid(emb, w, cl[bi]);
  }
  // k-means passes over every turn (the short ones join here).
  std::vector<int> label(n, -1);
  for (int pass = 0; pass < 20; pass++) {
    std::vector<int> next(n);
    for (size_t i = 0; i < n; i++) {
      double best = -2;
      for (size_t c = 0; c < cen.size(); c++) {
        const double s = cos_to(cen[c], emb[i]);
        if (s > best) best = s, next[i] = int(c);
      }
    }
    if (next == label) break;
    label = next;
    for (size_t c = 0; c < cen.size(); c++) {
      std::vector<int> members;
      for (size_t i = 0; i < n; i++) {
        if (label[i] == int(c)) members.push_back(int(i));
      }
      if (!members.empty()) cen[c] = centroid(emb, w, members);
    }
  }
  // Renumber by first appearance.
  std::map<int, int> order;
  for (int& l : label) {
    auto it = order.find(l);
    if (it == order.end()) it = order.emplace(l, int(order.size())).first;
    l = it->second;
  }
  return label;
}

std::vector<float> embed_speech(const SpeakerModel& model, const float* x, int64_t n) {
  if (n <= 400) fail("speaker embedding: ", std::to_string(n), " samples is too short (at least 401)");
  const MelFrames mf = mel_frames(x, n, model.config().n_mels);
  return model.embed_mel(mf.data.data(), mf.n_frames);
}

std::vector<SpeakerTurn> diarize(const SpeakerModel& model, const float* x, int64_t n, const SpeakerOptions& opt) {
  if (opt.n_speakers < 0) fail("speakers: the number of speakers must be positive (or 0: find it)");
  std::vector<SpeakerTurn> turns;
  if (n <= 400) return turns;  // shorter than one log-mel window: no speech to label
  const MelFrames mf = mel_frames(x, n, model.config().n_mels);
  const int64_t min_turn = int64_t(opt.min_turn_s * 16000);
  for (const audio::Segment& r : audio::detect_phrases(x, size_t(n), opt.vad)) {
    int64_t a = r.start;
    std::vector<int64_t> cuts = change_points(model, mf, r.start, r.end, opt);
    cuts.push_back(r.end);
    for (int64_t b : cuts) {
      SpeakerTurn t;
      t.start = a;
      t.end = b;
      int64_t s = a, e = b;
      if (e - s < min_turn) {  // too little to embed alone: widen within the recording
        const int64_t pad = (min_turn - (e - s)) / 2;
        s = std::max<int64_t>(0, s - pad);
        e = std::min<int64_t>(n, e + pad + 1);
      }
      t.embedding = mf.embed(model, s, e);
      turns.push_back(std::move(t));
      a = b;
    }
  }
  std::vector<std::vector<float>> emb;
  std::vector<double> sec;
  for (const auto& t : turns) {
    emb.push_back(t.embedding);
    sec.push_back(double(t.end - t.start) / 16000.0);
  }
  const std::vector<int> lab = cluster_speakers(emb, sec, opt);
  for (size_t i = 0; i < turns.size(); i++) turns[i].speaker = lab[i];
  return turns;
}

int speaker_of(const std::vector<SpeakerTurn>& turns, int64_t start, int64_t end) {
  std::map<int, int64_t> overlap;
  int nearest = -1;
  int64_t nearest_d = INT64_MAX;
  for (const auto& t : turns) {
    const int64_t o = std::min(end, t.end) - std::max(start, t.start);
    if (o > 0) overlap[t.speaker] += o;
    const int64_t d = std::max(t.start - end, start - t.end);
    if (d < nearest_d) nearest_d = d, nearest = t.speaker;
  }
  int best = nearest;
  int64_t most = 0;
  for (const auto& [s, o] : overlap) {
    if (o > most) most = o, best = s;
  }
  return best;
}

std::vector<TranscriptSegment> label_segments(const std::vector<TranscriptSegment>& segs,
                                              const std::vector<SpeakerTurn>& turns,
                                              const std::function<TranscriptSegment(int64_t, int64_t)>& recognize,
                                              std::vector<int>& speakers, double min_part_s) {
  std::vector<TranscriptSegment> out;
  speakers.clear();
  const int64_t min_part = int64_t(min_part_s * 16000);
  for (const auto& seg : segs) {
    // Runs of one speaker's turns inside the segment: [a, b) and the speaker.
    struct Run {
      int64_t a, b;
      int spk;
    };
    std::vector<Run> runs;
    for (const auto& t : turns) {
      const int64_t a = std::max(seg.start, t.start), b = std::min(seg.end, t.end);
      if (b <= a) continue;
      if (!runs.empty() && runs.back().spk == t.speaker) {
        runs.back().b = b;
      } else {
        runs.push_back({a, b, t.speaker});
      }
    }
    std::map<int, int64_t> per;
    for (const auto& r : runs) per[r.spk] += r.b - r.a;
    int n_big = 0;
    for (const auto& [s, v] : per) n_big += v >= min_part ? 1 : 0;
    if (n_big < 2 || !recognize) {
      out.push_back(seg);
      speakers.push_back(speaker_of(turns, seg.start, seg.end));
      continue;
    }
    // Drop runs too short to stand alone (they join their neighbour), then cut between runs: at the segment's ends
    // and half-way through the gaps between turns.
    std::vector<Run> kept;
    for (const auto& r : runs) {
      if (r.b - r.a < min_part && !kept.empty()) {
        kept.back().b = r.b;
      } else if (!kept.empty() && kept.back().spk == r.spk) {
        kept.back().b = r.b;
      } else {
        kept.push_back(r);
      }
    }
    if (kept.size() > 1 && kept[0].b - kept[0].a < min_part) {
      kept[1].a = kept[0].a;
      kept.erase(kept.begin());
    }
    for (size_t i = 0; i < kept.size(); i++) {
      const int64_t a = i == 0 ? seg.start : (kept[i - 1].b + kept[i].a) / 2;
      const int64_t b = i + 1 == kept.size() ? seg.end : (kept[i].b + kept[i + 1].a) / 2;
      TranscriptSegment part = recognize(a, b);
      part.start = a;
      part.end = b;
      out.push_back(std::move(part));
      speakers.push_back(kept[i].spk);
    }
  }
  return out;
}

}  // namespace sotto
