// tokenizer.cpp — the Tokenizer implementations (byte-level and SentencePiece BPE, BERT WordPiece) and their
// loaders from GGUF metadata and (BPE) from Hugging Face tokenizer.json. Added/special tokens are split out of the text first (leftmost-longest
// match, as Hugging Face's added vocabulary does); the text between them is normalised (NFC for Qwen;
// spaces to U+2581 for SentencePiece), pre-tokenized (byte-level families) and merged.
#include "text/tokenizer.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/file.h"
#include "core/gguf.h"
#include "core/json.h"
#include "text/bpe.h"
#include "text/pretokenize.h"
#include "text/unicode.h"
#include "text/wordpiece.h"

namespace sotto {

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string s;
  for (int32_t id : ids) s += token_to_piece(id);
  return s;
}

namespace {

enum class ChatFormat { None, Llama3, ChatML, Gemma };

// A trie over the added tokens' text for leftmost-longest matching.
class AddedTrie {
 public:
  void add(const std::string& s, int32_t id) {
    int node = 0;
    for (char c : s) {
      auto& kids = nodes_[size_t(node)].next;
      auto it = kids.find(c);
      if (it == kids.end()) {
        nodes_.push_back({});
        const int child = int(nodes_.size()) - 1;
        nodes_[size_t(node)].next.emplace(c, child);
        node = child;
      } else {
        node = it->second;
      }
    }
    nodes_[size_t(node)].id = id;
  }
  // Longest added token starting at s[i]: (length, id) or (0, -1).
  std::pair<size_t, int32_t> match(std::string_view s, size_t i) const {
    int node = 0;
    std::pair<size_t, int32_t> best{0, -1};
    for (size_t k = i; k < s.size(); k++) {
      auto it = nodes_[size_t(node)].next.find(s[k]);
      if (it == nodes_[size_t(node)].next.end()) break;
      node = it->second;
      if (nodes_[size_t(node)].id >= 0) best = {k + 1 - i, nodes_[size_t(node)].id};
    }
    return best;
  }
  bool empty() const { return nodes_.size() == 1; }

 private:
  struct Node {
    std::map<char, int> next;
    int32_t id = -1;
  };
  std::vector<Node> nodes_{Node{}};
};

// The byte of a SentencePiece byte-fallback piece "<0xNN>" (two hex digits), or -1 for any other piece
// (a vocabulary may hold "<0xZZ>" as plain text).
int byte_token(const std::string& p) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  if (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>') return -1;
  const int hi = hex(p[3]), lo = hex(p[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

class BpeTokenizer final : public Tokenizer {
 public:
  BpeVocab v;
  PreTok pretok = PreTok::Gpt2;
  bool nfc = false;
  bool add_bos = false;
  int32_t bos_id = -1, eos_id = -1;
  std::vector<uint8_t> special;  // per id: control token
  std::vector<int32_t> eog;
  AddedTrie added;
  ChatFormat chat = ChatFormat::None;
  std::string source;

  std::vector<int32_t> encode(std::string_view text, bool with_bos, bool parse_special) const override {
    std::vector<int32_t> out;
    if (with_bos && bos_id >= 0) out.push_back(bos_id);
    size_t seg = 0, i = 0;
    while (i < text.size()) {
      const auto m = parse_special && !added.empty() ? added.match(text, i) : std::pair<size_t, int32_t>{0, -1};
      if (m.first == 0) {
        i++;
        continue;
      }
      encode_text(text.substr(seg, i - seg), out);
      out.push_back(m.second);
      i += m.first;
      seg = i;
    }
    encode_text(text.substr(seg), out);
    return out;
  }

  void encode_text(std::string_view text, std::vector<int32_t>& out) const {
    if (text.empty()) return;
    if (v.kind == BpeKind::Spm) {
      std::string s;
      s.reserve(text.size() + 8);
      for (char c : text) {
        if (c == ' ') {
          s += "\xE2\x96\x81";
        } else {
          s += c;
        }
      }
      v.encode_piece(s, out);
      return;
    }
    const std::string norm = nfc ? unicode::nfc(text) : std::string(text);
    for (std::string_view piece : pretokenize(norm, pretok)) v.encode_piece(piece, out);
  }

  std::string token_to_piece(int32_t id) const override {
    if (id < 0 || size_t(id) >= v.pieces.size()) return "";
    const std::string& p = v.pieces[size_t(id)];
    if (special[size_t(id)]) return p;
    if (v.kind == BpeKind::Spm) {
      if (const int b = byte_token(p); b >= 0) return std::string(1, char(b));
      std::string s;
      for (size_t i = 0; i < p.size();) {
        if (p.compare(i, 3, "\xE2\x96\x81") == 0) {
          s += ' ';
          i += 3;
        } else {
          s += p[i++];
        }
      }
      return s;
    }
    std::string s;
    for (const auto& c : unicode::decode_utf8(p)) {
      const int b = c.cp == unicode::kInvalid ? -1 : unicode_to_byte(c.cp);
      if (b >= 0) {
        s += char(b);
      } else {
        s.append(p, c.off, c.len);  // an added token's plain text
      }
    }
    return s;
  }

  int32_t n_vocab() const override { return int32_t(v.pieces.size()); }
  int32_t bos() const override { return bos_id; }
  int32_t eos() const override { return eos_id; }
  bool is_eog(int32_t id) const override { return std::find(eog.begin(), eog.end(), id) != eog.end(); }
  bool is_special(int32_t id) const override {
    return id >= 0 && size_t(id) < special.size() && special[size_t(id)];
  }
  int32_t token_id(std::string_view piece) const override {
    auto it = v.ids.find(std::string(piece));
    return it == v.ids.end() ? -1 : it->second;
  }

  std::string apply_chat_template(const std::vector<ChatMessage>& msgs, bool add_generation_prompt) const override {
    std::string s;
    switch (chat) {
      case ChatFormat::Llama3:
        s = "<|begin_of_text|>";
        for (const auto& m : msgs) s += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + m.content + "<|eot_id|>";
        if (add_generation_prompt) s += "<|start_header_id|>assistant<|end_header_id|>\n\n";
        return s;
      case ChatFormat::ChatML:
        for (const auto& m : msgs) s += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
        if (add_generation_prompt) s += "<|im_start|>assistant\n";
        return s;
      case ChatFormat::Gemma: {
        s = "<bos>";
        std::string system;
        for (const auto& m : msgs) {
          if (m.role == "system") {
            system += m.content + "\n\n";
            continue;
          }
          const std::string role = m.role == "assistant" ? "model" : m.role;
          s += "<start_of_turn>" + role + "\n" + (role == "user" ? system : "") + m.content + "<end_of_turn>\n";
          if (role == "user") system.clear();
        }
        if (add_generation_prompt) s += "<start_of_turn>model\n";
        return s;
      }
      case ChatFormat::None:
        break;
    }
    fail(source, ": this tokenizer has no known chat format");
  }

  // Derived settings once pieces, special flags and ids are in place.
  void finish() {
    v.index();
    auto id_of = [&](const char* p) { return token_id(p); };
    if (id_of("<|start_header_id|>") >= 0) chat = ChatFormat::Llama3;
    else if (id_of("<|im_start|>") >= 0) chat = ChatFormat::ChatML;
    else if (id_of("<start_of_turn>") >= 0) chat = ChatFormat::Gemma;
    for (const char* e : {"<|eot_id|>", "<|end_of_text|>", "<|im_end|>", "<|endoftext|>", "<end_of_turn>", "<end_of_utterance>", "<eos>", "<|eom_id|>"}) {
      const int32_t id = id_of(e);
      if (id >= 0) eog.push_back(id);
    }
    if (eos_id >= 0 && !is_eog(eos_id)) eog.push_back(eos_id);
  }
};

// BERT WordPiece (tokenizer.ggml.model "bert"): encode with add_bos gives [CLS] ... [SEP]; control tokens written
// in the text ([CLS], [SEP], [MASK], ...) are matched case-sensitively when parse_special is true.
class WordPieceTokenizer final : public Tokenizer {
 public:
  WordPieceVocab v;
  std::vector<std::string> pieces;  // as the file stores them (U+2581 + word-initial piece)
  std::vector<uint8_t> special;
  int32_t cls_id = -1, sep_id = -1;
  AddedTrie added;

  std::vector<int32_t> encode(std::string_view text, bool with_specials, bool parse_special) const override {
    std::vector<int32_t> out;
    if (with_specials) out.push_back(cls_id);
    size_t seg = 0, i = 0;
    while (i < text.size()) {
      const auto m = parse_special && !added.empty() ? added.match(text, i) : std::pair<size_t, int32_t>{0, -1};
      if (m.first == 0) {
        i++;
        continue;
      }
      v.encode(text.substr(seg, i - seg), out);
      out.push_back(m.second);
      i += m.first;
      seg = i;
    }
    v.encode(text.substr(seg), out);
    if (with_specials) out.push_back(sep_id);
    return out;
  }
  std::string token_to_piece(int32_t id) const override {
    if (id < 0 || size_t(id) >= pieces.size()) return "";
    const std::string& p = pieces[size_t(id)];
    return p.compare(0, 3, "\xE2\x96\x81") == 0 ? " " + p.substr(3) : p;
  }
  int32_t n_vocab() const override { return int32_t(pieces.size()); }
  int32_t bos() const override { return cls_id; }
  int32_t eos() const override { return sep_id; }
  bool is_eog(int32_t id) const override { return id == sep_id; }
  bool is_special(int32_t id) const override { return id >= 0 && size_t(id) < special.size() && special[size_t(id)]; }
  int32_t token_id(std::string_view piece) const override {
    for (size_t i = 0; i < pieces.size(); i++) {
      if (pieces[i] == piece) return int32_t(i);
    }
    return -1;
  }
  std::string apply_chat_template(const std::vector<ChatMessage>&, bool) const override {
    fail("a BERT WordPiece tokenizer has no chat format");
  }
};

std::unique_ptr<Tokenizer> wordpiece_from_gguf(const GgufFile& f, const std::vector<std::string>& pieces,
                                               const std::vector<int64_t>& types) {
  auto t = std::make_unique<WordPieceTokenizer>();
  const size_t n = pieces.size();
  t->pieces = pieces;
  t->special.assign(n, 0);
  size_t upper = 0;
  for (size_t i = 0; i < n; i++) {
    const std::string& p = pieces[i];
    if (types[i] == 3) {  // control: [PAD] [UNK] [CLS] [SEP] [MASK]; whole tokens only
      t->special[i] = 1;
      if (!p.empty()) t->added.add(p, int32_t(i));
      continue;
    }
    bool has_upper = false;
    for (char c : p) has_upper |= c >= 'A' && c <= 'Z';
    upper += has_upper;
    if (p.compare(0, 3, "\xE2\x96\x81") == 0) {
      t->v.first.emplace(p.substr(3), int32_t(i));  // the first id wins on duplicates
    } else {
      t->v.cont.emplace(p, int32_t(i));
    }
  }
  // The file does not say whether the vocabulary is cased (llama.cpp always lowercases); uncased vocabularies
  // (all-MiniLM, bge-*-en) hold no capital letters, cased ones thousands.
  t->v.lowercase = t->v.strip_accents = upper * 100 < n;
  auto special_id = [&](const char* k, const char* piece) {
    int64_t id = f.get_int_or(k, -1);
    if (id < 0) {
      for (size_t i = 0; i < n && id < 0; i++) {
        if (pieces[i] == piece) id = int64_t(i);
      }
    }
    if (id < 0 || id >= int64_t(n)) {
      fail(f.path(), ": the BERT vocabulary has no ", piece, " token (metadata ", k, ")");
    }
    return int32_t(id);
  };
  t->cls_id = special_id("tokenizer.ggml.cls_token_id", "[CLS]");
  t->sep_id = special_id("tokenizer.ggml.seperator_token_id", "[SEP]");
  t->v.unk = special_id("tokenizer.ggml.unknown_token_id", "[UNK]");
  return t;
}

PreTok pretok_from_gguf(const std::string& pre, const std::string& path) {
  if (pre == "llama3" || pre == "llama-bpe" || pre == "llama-v3") return PreTok::Llama3;
  if (pre == "qwen2") return PreTok::Qwen2;
  if (pre == "smollm") return PreTok::SmolLM;
  if (pre == "gpt2" || pre == "default") return PreTok::Gpt2;
  fail(path, ": unsupported tokenizer pre-tokenizer '", pre, "' (supported: llama-bpe, qwen2, smollm, gpt2)");
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const GgufFile& f) {
  auto t = std::make_unique<BpeTokenizer>();
  t->source = f.path();
  const std::string model = f.get_string("tokenizer.ggml.model");
  t->v.pieces = f.get_string_array("tokenizer.ggml.tokens");
  const size_t n = t->v.pieces.size();
  if (n == 0) fail(f.path(), ": tokenizer.ggml.tokens is empty");
  std::vector<int64_t> types = f.has("tokenizer.ggml.token_type") ? f.get_int_array("tokenizer.ggml.token_type")
                                                                   : std::vector<int64_t>(n, 1);
  if (types.size() != n) fail(f.path(), ": tokenizer.ggml.token_type has ", std::to_string(types.size()),
                              " entries for ", std::to_string(n), " tokens");
  if (model == "bert") return wordpiece_from_gguf(f, t->v.pieces, types);
  t->special.assign(n, 0);
  if (model == "gpt2") {
    t->v.kind = BpeKind::ByteLevel;
    const std::string pre = f.get_string_or("tokenizer.ggml.pre", "default");
    t->pretok = pretok_from_gguf(pre, f.path());
    t->nfc = pre == "qwen2";
    t->v.ignore_merges = t->pretok == PreTok::Llama3;
  } else if (model == "llama") {
    t->v.kind = BpeKind::Spm;
    const auto scores = f.get_float_array("tokenizer.ggml.scores");
    if (scores.size() != n) fail(f.path(), ": tokenizer.ggml.scores has ", std::to_string(scores.size()), " entries for ",
                                 std::to_string(n), " tokens");
    t->v.scores.assign(scores.begin(), scores.end());
    t->v.use_scores = !f.has("tokenizer.ggml.merges");
  } else {
    fail(f.path(), ": unsupported tokenizer model '", model, "' (supported: gpt2 byte-level BPE, llama SentencePiece, bert WordPiece)");
  }
  // Token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. Control and
  // user-defined tokens are matched in text as whole tokens; unknown, control and unused ones are not text.
  for (size_t i = 0; i < n; i++) {
    t->special[i] = types[i] == 2 || types[i] == 3 || types[i] == 5;
    if ((types[i] == 3 || types[i] == 4) && !t->v.pieces[i].empty()) t->added.add(t->v.pieces[i], int32_t(i));
  }
  // Special ids: absent (-1) or a token of the vocabulary; checked as 64-bit values before narrowing.
  auto special_id = [&](const char* k) {
    const int64_t id = f.get_int_or(k, -1);
    if (id < -1 || id >= int64_t(n)) {
      fail(f.path(), ": metadata ", k, " = ", std::to_string(id), " is not a token id (the vocabulary has ",
           std::to_string(n), " tokens)");
    }
    return int32_t(id);
  };
  t->bos_id = special_id("tokenizer.ggml.bos_token_id");
  t->eos_id = special_id("tokenizer.ggml.eos_token_id");
  t->add_bos = f.get_bool_or("tokenizer.ggml.add_bos_token", t->v.kind == BpeKind::Spm);
  t->finish();
  if (const int64_t unk = f.get_int_or("tokenizer.ggml.unknown_token_id", -1); unk >= 0 && unk < int64_t(n)) {
    t->v.unk = int32_t(unk);
  }
  if (f.has("tokenizer.ggml.merges")) {
    const auto& merges = f.get_string_array("tokenizer.ggml.merges");
    for (size_t r = 0; r < merges.size(); r++) {
      const std::string& m = merges[r];
      const size_t sp = m.find(' ', 1);
      if (sp == std::string::npos) fail(f.path(), ": tokenizer.ggml.merges[", std::to_string(r), "] has no space");
      t->v.add_merge(m.substr(0, sp), m.substr(sp + 1), int32_t(r));
    }
  }
  if (const int64_t eot = f.get_int_or("tokenizer.ggml.eot_token_id", -1); eot >= 0 && !t->is_eog(int32_t(eot))) {
    t->eog.push_back(int32_t(eot));
  }
  return t;
}

std::unique_ptr<Tokenizer> Tokenizer::from_json(const std::string& path) {
  const json::Value doc = json::parse(read_file(path), path);
  auto t = std::make_unique<BpeTokenizer>();
  t->source = path;
  try {
    const json::Value& model = doc.at("model");
    if (model.at("type").str() != "BPE") fail("model type '", model.at("type").str(), "' is not BPE");
    const bool byte_fallback = model.find("byte_fallback") && model.at("byte_fallback").boolean();
    t->v.kind = byte_fallback ? BpeKind::Spm : BpeKind::ByteLevel;
    t->v.ignore_merges = model.find("ignore_merges") && model.at("ignore_merges").boolean();
    // Vocabulary: ids may have gaps that added tokens fill.
    int64_t n = 0;
    for (const auto& [piece, id] : model.at("vocab").obj()) n = std::max(n, id.integer() + 1);
    const json::Value* added = doc.find("added_tokens");
    if (added) {
      for (const auto& a : added->arr()) n = std::max(n, a.at("id").integer() + 1);
    }
    if (n <= 0 || n > (1 << 24)) fail("vocabulary size ", std::to_string(n), " is out of range");
    t->v.pieces.assign(size_t(n), "");
    t->special.assign(size_t(n), 0);
    for (const auto& [piece, id] : model.at("vocab").obj()) {
      if (id.integer() < 0) fail("negative id for '", piece, "'");
      t->v.pieces[size_t(id.integer())] = piece;
    }
    if (added) {
      for (const auto& a : added->arr()) {
        const auto id = int32_t(a.at("id").integer());
        if (id < 0) fail("negative added token id");
        t->v.pieces[size_t(id)] = a.at("content").str();
        t->special[size_t(id)] = a.at("special").boolean();
        t->added.add(a.at("content").str(), id);
      }
    }
    t->finish();
    if (const json::Value* unk = model.find("unk_token"); unk && unk->is_string()) t->v.unk = t->token_id(unk->str());
    const auto& merges = model.at("merges").arr();
    for (size_t r = 0; r < merges.size(); r++) {
      const json::Value& m = merges[r];
      if (m.is_string()) {
        const std::string& s = m.str();
        const size_t sp = s.find(' ', 1);
        if (sp == std::string::npos) fail("merge #", std::to_string(r), " has no space");
        t->v.add_merge(s.substr(0, sp), s.substr(sp + 1), int32_t(r));
      } else {
        t->v.add_merge(m.arr().at(0).str(), m.arr().at(1).str(), int32_t(r));
      }
    }
    // The pre-tokenizer pattern decides the family.
    const std::string pre = doc.find("pre_tokenizer") ? json::dump(doc.at("pre_tokenizer")) : "";
    if (pre.find("\\\\p{N}{1,3}") != std::string::npos) {
      t->pretok = PreTok::Llama3;
    } else if (pre.find("[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}|") != std::string::npos) {
      t->pretok = PreTok::Qwen2;
    } else if (pre.find("\"Digits\"") != std::string::npos) {
      t->pretok = PreTok::SmolLM;
    } else {
      t->pretok = PreTok::Gpt2;
    }
    const json::Value* norm = doc.find("normalizer");
    t->nfc = norm && norm->is_object() && norm->find("type") && norm->at("type").str() == "NFC";
    t->bos_id = t->token_id(t->v.kind == BpeKind::Spm ? "<bos>" : "<|begin_of_text|>");
    t->eos_id = t->token_id(t->v.kind == BpeKind::Spm ? "<eos>" : "<|endoftext|>");
    if (t->eos_id < 0) t->eos_id = t->token_id("<|end_of_text|>");
    t->add_bos = t->v.kind == BpeKind::Spm || t->chat == ChatFormat::Llama3;
  } catch (const Error& e) {
    fail(path, ": invalid tokenizer: ", e.what());
  }
  return t;
}

}  // namespace sotto
