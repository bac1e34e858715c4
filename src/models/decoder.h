// decoder.h — the shared pre-norm transformer decoder that Llama 3.2, SmolLM2, Qwen2.5 and Gemma 3 are
// built from. The architectures differ only in ModelConfig fields (rope layout and bases, QKV bias, QK-norm,
// post-norms, activation, sliding-window layers, embedding scale, tied LM head); each architecture file
// (llama.cpp, qwen2.cpp, gemma3.cpp) reads its own metadata into a ModelConfig and calls make_decoder().
//
// Per layer (x: {n_embd, n_tok}):
//   h = attn_norm(x); q,k,v = h Wq,Wk,Wv (+ bias); [q,k = rms_norm per head]; rope(q,k);
//   cache k,v; a = attention(q, K, V) Wo; [a = post_attention_norm(a)]; x += a
//   h = ffn_norm(x); f = act(h Wgate) * (h Wup) Wdown; [f = post_ffw_norm(f)]; x += f
// then logits = output_norm(x) Wout (Wout = token_embd when tied).
#pragma once

#include <memory>
#include <string>

#include "models/model.h"

namespace sotto {

class GgufFile;

// GGUF tensor names, from one helper: tn("attn_q", 3) == "blk.3.attn_q.weight",
// tn("token_embd") == "token_embd.weight", tn("attn_q", 3, "bias") == "blk.3.attn_q.bias".
std::string tn(const std::string& base, int layer = -1, const char* suffix = "weight");

std::unique_ptr<Model> make_decoder(const GgufFile& f, Backend& backend, const ModelConfig& cfg);

// Shared metadata reading for the decoder families: fills the fields every family has
// ({arch}.embedding_length, .block_count, ...) and checks them. Architecture files add their own.
ModelConfig read_common_config(const GgufFile& f, const std::string& arch);

}  // namespace sotto
