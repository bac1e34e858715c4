// token-trie.h — the model's vocabulary as a byte trie, built once per tokenizer and shared by matchers.
// Input: one byte string per token id (what Tokenizer::token_to_piece returns: raw bytes, possibly a partial
// UTF-8 sequence; SentencePiece pieces already decoded to bytes) and the end-of-generation ids. Tokens with
// an empty piece (pass "" for control tokens that must never be sampled) and end-of-generation tokens are
// not in the trie. Nodes are stored in preorder, so a subtree is the index range [i, end(i)) and the tokens
// ending in it are the contiguous range [tok_begin(i), tok_begin(end(i))) of token_order().
// Each node also records which byte groups (see byte_group) occur strictly below it; the mask computation
// uses this to accept a whole subtree at once when the grammar state loops on all of those groups.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sotto::grammar {

// 8 coarse byte groups: 0 [A-Za-z0-9], 1 space, 2 other printable ASCII except '"' and '\\', 3 '"',
// 4 '\\', 5 ASCII controls and 0x7F, 6 UTF-8 continuation bytes 0x80-0xBF, 7 bytes 0xC0-0xFF.
int byte_group_slow(uint8_t b);
struct ByteGroupTable {
  uint8_t g[256];
  ByteGroupTable() {
    for (int b = 0; b < 256; ++b) g[b] = uint8_t(byte_group_slow(uint8_t(b)));
  }
};
bool is_safe_text(const std::string& bytes);
inline int byte_group(uint8_t b) {
  static const ByteGroupTable table;
  return table.g[b];
}

class TokenTrie {
 public:
  TokenTrie(std::vector<std::string> pieces, const std::vector<int32_t>& eog_ids);

  int32_t n_vocab() const { return int32_t(pieces_.size()); }
  int32_t n_words() const { return (n_vocab() + 31) / 32; }  // mask size in uint32 words
  const std::string& piece(int32_t id) const { return pieces_[size_t(id)]; }
  const std::vector<int32_t>& eog_ids() const { return eog_; }
  bool is_eog(int32_t id) const { return is_eog_[size_t(id)]; }

  int32_t n_nodes() const { return int32_t(byte_.size()); }
  int32_t max_depth() const { return max_depth_; }
  uint8_t byte(int32_t i) const { return byte_[size_t(i)]; }  // node 0 is the root (no byte)
  int32_t depth(int32_t i) const { return depth_[size_t(i)]; }
  int32_t end(int32_t i) const { return end_[size_t(i)]; }
  int32_t tok_begin(int32_t i) const { return tok_begin_[size_t(i)]; }
  uint8_t groups_below(int32_t i) const { return groups_below_[size_t(i)]; }
  int32_t height(int32_t i) const { return height_[size_t(i)]; }  // longest path below node i
  const std::vector<int32_t>& token_order() const { return tokens_; }
  // Byte groups occurring in token id's piece (bit g set when some byte has byte_group g).
  uint8_t token_groups(int32_t id) const { return token_groups_[size_t(id)]; }

  // Raw arrays for the hot loop.
  const uint8_t* bytes_data() const { return byte_.data(); }
  const uint16_t* depth_data() const { return depth_.data(); }
  const int32_t* end_data() const { return end_.data(); }
  const int32_t* tok_begin_data() const { return tok_begin_.data(); }
  const uint8_t* groups_data() const { return groups_below_.data(); }
  const uint16_t* height_data() const { return height_.data(); }

  // "Safe text": printable ASCII except '"' and '\\' plus complete, valid multi-byte UTF-8 characters,
  // optionally ending in a truncated one (the bytes a JSON string may hold unescaped, cut anywhere).
  bool text_token(int32_t id) const { return text_token_[size_t(id)]; }
  const uint8_t* all_text_data() const { return all_text_.data(); }  // node: every token below is text
  // Characters in a piece (bytes that are not UTF-8 continuation bytes; a truncated tail counts as one).
  int32_t token_chars(int32_t id) const { return token_chars_[size_t(id)]; }
  int32_t max_token_chars() const { return max_token_chars_; }
  const uint16_t* max_chars_data() const { return max_chars_below_.data(); }  // node: most chars of a token below

  // Longest token (not end-of-generation) whose piece is a prefix of `bytes`; -1 if none.
  int32_t longest_prefix_token(const std::string& bytes) const;

 private:
  std::vector<std::string> pieces_;
  std::vector<int32_t> eog_;
  std::vector<bool> is_eog_;
  std::vector<uint8_t> byte_;
  std::vector<uint16_t> depth_;
  std::vector<int32_t> end_;
  std::vector<int32_t> tok_begin_;  // n_nodes + 1 entries
  std::vector<uint8_t> groups_below_;
  std::vector<uint16_t> height_;
  std::vector<uint8_t> text_token_;  // [n_vocab]
  std::vector<uint8_t> all_text_;    // [n_nodes]
  std::vector<uint16_t> token_chars_;      // [n_vocab]
  std::vector<uint16_t> max_chars_below_;  // [n_nodes]
  int32_t max_token_chars_ = 0;
  std::vector<int32_t> tokens_;  // token ids in preorder of their end node
  std::vector<uint8_t> token_groups_;
  int32_t max_depth_ = 0;
};

}  // namespace sotto::grammar
