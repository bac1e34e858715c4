// cmd-tokenize.cpp — `sotto tokenize`: text to token ids with a GGUF model's tokenizer (or a Hugging Face
// tokenizer.json), printed as JSON, so tools (tools/train/base.py) tokenize training text exactly as the
// engine does. Reads the tokenizer metadata only; no weights are loaded.
//   default  the whole input (stdin, --file or -p) is one text -> one JSON array of ids;
//   --jsonl  every input line is a JSON string -> one JSON array per line (batch use);
//   --chat   each text is a user turn rendered by the model's chat template with the assistant prompt
//            (runtime/loaded-model.h encode_prompt, exactly what `sotto note` and `generate --chat` send);
//   --info   one JSON object: n_vocab, bos, eos, chat (has a chat format), eot (the token that ends an
//            assistant turn in the chat format, else eos), eog (every id that ends generation).
// Raw texts get the BOS token like `sotto generate` prompts (--no-bos: none) and special tokens written in
// the text are recognised (--no-special: plain text).
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/gguf.h"
#include "core/json.h"
#include "runtime/loaded-model.h"
#include "text/tokenizer.h"

namespace sotto::cli {

namespace {

std::string ids_json(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); i++) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  return s + "]";
}

// The token that closes an assistant turn: what the template writes right after the assistant's text.
int32_t end_of_turn(const Tokenizer& tok) {
  const std::string mark = "\x01sotto\x01";
  const std::string prefix = tok.apply_chat_template({{"user", "u"}}, true);
  const std::string full = tok.apply_chat_template({{"user", "u"}, {"assistant", mark}}, false);
  const size_t at = full.find(mark);
  if (full.compare(0, prefix.size(), prefix) != 0 || at == std::string::npos) return tok.eos();
  const std::vector<int32_t> tail = tok.encode(full.substr(at + mark.size()), false, true);
  return tail.empty() ? tok.eos() : tail[0];
}

}  // namespace

int run_tokenize(int argc, char** argv) {
  std::string model_path, json_path, file, prompt;
  bool jsonl = false, chat = false, info = false, no_bos = false, no_special = false;
  ArgParser ap("sotto tokenize", "-m MODEL.gguf [-p TEXT | -f FILE] [--jsonl] [--chat] [--info]",
               "Prints the token ids of the input text (stdin by default) as JSON.");
  ap.model("-m,--model", &model_path, "GGUF model whose tokenizer is used");
  ap.option("--tokenizer-json", &json_path, "FILE", "use a Hugging Face tokenizer.json instead of -m");
  ap.option("-p,--prompt", &prompt, "TEXT", "the text (instead of stdin)");
  ap.option("-f,--file", &file, "FILE", "read the input from a file (- for stdin)");
  ap.flag("--jsonl", &jsonl, "one JSON string per input line -> one JSON array of ids per output line");
  ap.flag("--chat", &chat, "render each text as a user turn of the chat template, assistant prompt appended");
  ap.flag("--no-bos", &no_bos, "no BOS token (raw texts)");
  ap.flag("--no-special", &no_special, "special tokens written in the text are plain text (raw texts)");
  ap.flag("--info", &info, "print n_vocab, bos, eos, chat, eot and eog as one JSON object and exit");
  if (!ap.parse(argc, argv)) return 0;
  if (model_path.empty() == json_path.empty()) ap.usage_error("give exactly one of -m MODEL.gguf or --tokenizer-json");
  if (!prompt.empty() && !file.empty()) ap.usage_error("give the text with -p or -f, not both");
  if (chat && (no_bos || no_special)) ap.usage_error("--chat renders the template: --no-bos/--no-special do not apply");

  std::unique_ptr<Tokenizer> tok;
  if (!model_path.empty()) {
    auto f = GgufFile::open(model_path);
    tok = Tokenizer::from_gguf(*f);
  } else {
    tok = Tokenizer::from_json(json_path);
  }

  bool has_chat = true;
  try {
    tok->apply_chat_template({{"user", "u"}}, true);
  } catch (const Error&) {
    has_chat = false;
  }
  if (info) {
    std::vector<int32_t> eog;
    for (int32_t id = 0; id < tok->n_vocab(); id++)
      if (tok->is_eog(id)) eog.push_back(id);
    std::printf("{\"n_vocab\":%d,\"bos\":%d,\"eos\":%d,\"chat\":%s,\"eot\":%d,\"eog\":%s}\n", tok->n_vocab(),
                tok->bos(), tok->eos(), has_chat ? "true" : "false", has_chat ? end_of_turn(*tok) : tok->eos(),
                ids_json(eog).c_str());
    return 0;
  }
  if (chat && !has_chat) fail(model_path.empty() ? json_path : model_path, ": this tokenizer has no known chat format");

  std::string input = prompt;
  if (prompt.empty()) {
    if (!file.empty() && file != "-") {
      input = read_file(file);
    } else {
      input = read_stream(stdin, "stdin");
    }
  }
  auto encode = [&](const std::string& text) {
    if (chat || (!no_bos && !no_special)) return encode_prompt(*tok, text, chat);  // as `sotto generate`
    return tok->encode(text, !no_bos, !no_special);
  };
  if (!jsonl) {
    std::printf("%s\n", ids_json(encode(input)).c_str());
    return 0;
  }
  std::istringstream lines(input);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (line.empty() || line == "\r") continue;
    const json::Value v = json::parse(line, "input line " + std::to_string(n));
    if (!v.is_string()) fail("input line ", std::to_string(n), ": expected a JSON string");
    std::printf("%s\n", ids_json(encode(v.str())).c_str());
  }
  return 0;
}

}  // namespace sotto::cli
