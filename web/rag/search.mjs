// search.mjs — hybrid search over passages held in memory, as the native index ranks them (apps/rag/index.cpp
// Index::search; docs/retrieval.md "Search"), so the page retrieves what `sotto search` / `sotto ask` retrieve:
//   BM25: FTS5's bm25() (k1 1.2, b 0.75; idf log((N - n + 0.5) / (n + 0.5)), at least 1e-6) over the passages'
//     words as FTS5's unicode61 tokenizer with remove_diacritics 2 reads them (runs of letters, digits and private-use
//     characters; case folded, diacritics dropped); the query is its runs of ASCII letters/digits and non-ASCII
//     characters, each a phrase, joined by OR (so query syntax is plain text); ties by insertion order;
//   dense: the dot product of the unit query vector with each passage's unit vector, summed in float32 as the native
//     scan does; ties to the older passage;
//   fused by reciprocal rank fusion: 1/(60 + rank) for each list of `candidates` that ranks the passage; ties to the
//     older passage.
// Passages: [{id (insertion order), text, vector: Float32Array, ...}]. No DOM, no I/O: the worker and Node tests use it.
// Does not: approximate search (every vector is scanned, fine for a page's few thousand passages), FTS5 query syntax.
const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;
const QUERY_WORD = /[A-Za-z0-9\u0080-\u{10FFFF}]+/gu;

// unicode61 with remove_diacritics 2: each token lowercased, its combining marks dropped.
export function tokens(text) {
  const out = [];
  for (const m of String(text).matchAll(TOKEN)) {
    const t = m[0].normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();
    if (t) out.push(t);
  }
  return out;
}

// The query's phrases (each the tokens of one query word; a word with no token is dropped, as FTS5 drops it).
export function queryPhrases(query) {
  const out = [];
  for (const m of String(query).matchAll(QUERY_WORD)) {
    const t = tokens(m[0]);
    if (t.length) out.push(t);
  }
  return out;
}

// Occurrences of phrase (a token array) in toks.
function phraseCount(toks, phrase) {
  let n = 0;
  for (let i = 0; i + phrase.length <= toks.length; i++) {
    let k = 0;
    while (k < phrase.length && toks[i + k] === phrase[k]) k++;
    if (k === phrase.length) n++;
  }
  return n;
}

// [{id, score}] best first (score: -bm25(), higher is better), at most depth, only passages holding a phrase.
export function bm25(passages, query, depth = 100, { k1 = 1.2, b = 0.75 } = {}) {
  const phrases = queryPhrases(query);
  if (!phrases.length || !passages.length) return [];
  const toks = passages.map((p) => p.tokens ?? tokens(p.text));
  const N = passages.length;
  const avgdl = toks.reduce((s, t) => s + t.length, 0) / N;
  const tf = phrases.map((ph) => toks.map((t) => phraseCount(t, ph)));
  const idf = tf.map((row) => {
    const n = row.filter((x) => x > 0).length;
    const v = Math.log((N - n + 0.5) / (n + 0.5));
    return v <= 0 ? 1e-6 : v;
  });
  const out = [];
  for (let r = 0; r < N; r++) {
    if (!tf.some((row) => row[r] > 0)) continue;
    let score = 0;
    for (let i = 0; i < phrases.length; i++) {
      const f = tf[i][r];
      score += idf[i] * ((f * (k1 + 1)) / (f + k1 * (1 - b + (b * toks[r].length) / avgdl)));
    }
    out.push({ id: passages[r].id, score });
  }
  out.sort((x, y) => (x.score !== y.score ? y.score - x.score : x.id - y.id));
  return out.slice(0, depth);
}

// float32 dot product, summed in order as the native scan does.
export function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = Math.fround(s + Math.fround(a[i] * b[i]));
  return s;
}

export function dense(passages, qvec, depth = 100) {
  const out = passages.map((p) => ({ id: p.id, score: dot(p.vector, qvec) }));
  out.sort((x, y) => (x.score !== y.score ? y.score - x.score : x.id - y.id));
  return out.slice(0, depth);
}

// The top k passages: {...passage, fused, bm25, bm25_rank, dense, dense_rank} (ranks 1-based, 0 when unranked).
export function search(passages, query, qvec, { k = 5, candidates = 100, rrfK = 60 } = {}) {
  const depth = Math.max(candidates, k);
  const byId = new Map(passages.map((p) => [p.id, p]));
  const hits = new Map();
  const hit = (id) => {
    if (!hits.has(id)) hits.set(id, { id, bm25: 0, bm25_rank: 0, dense: 0, dense_rank: 0 });
    return hits.get(id);
  };
  bm25(passages, query, depth).forEach((r, i) => Object.assign(hit(r.id), { bm25: r.score, bm25_rank: i + 1 }));
  dense(passages, qvec, depth).forEach((r, i) => Object.assign(hit(r.id), { dense: r.score, dense_rank: i + 1 }));
  const out = [...hits.values()].map((h) => ({
    ...h,
    fused: (h.bm25_rank ? 1 / (rrfK + h.bm25_rank) : 0) + (h.dense_rank ? 1 / (rrfK + h.dense_rank) : 0),
  }));
  out.sort((x, y) => (x.fused !== y.fused ? y.fused - x.fused : x.id - y.id));
  return out.slice(0, k).map((h) => {
    const p = byId.get(h.id);
    return { ...p, ...h, dense: h.dense_rank ? h.dense : dot(p.vector, qvec) };
  });
}
