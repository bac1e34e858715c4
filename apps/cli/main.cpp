// main.cpp — the `sotto` command line: dispatches to one command per file (cmd-*.cpp).
// Exit codes: 0 success, 1 a sotto::Error ("sotto: <message>" on one line), 2 a usage mistake.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "cli.h"
#include "core/error.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

const Command kCommands[] = {
    {"generate", "generate text from a prompt with a GGUF language model", sotto::cli::run_generate},
    {"bench", "measure prefill and decode speed (tokens/s)", sotto::cli::run_bench},
    {"info", "describe a GGUF model: architecture, config, tensors, tokenizer", sotto::cli::run_info},
    {"note", "write a structured note (SOAP, legal, HR, finance) from a transcript", sotto::cli::run_note},
    {"transcribe", "speech to text (WAV file or --stream PCM on stdin): text, JSON segments, SRT", sotto::cli::run_transcribe},
    {"listen", "voice commands: each spoken phrase -> one command of a JSON set, or \"not a command\"", sotto::cli::run_listen},
    {"tokenize", "token ids of a text with a model's tokenizer, as JSON (for the training tools)", sotto::cli::run_tokenize},
    {"image-embed", "an image through the SmolVLM processor and vision tower: tile layout, embedding shape", sotto::cli::run_image_embed},
    {"embed", "text embeddings (BERT family: all-MiniLM, bge; Qwen3-Embedding shape): raw float32 or JSON", sotto::cli::run_embed},
    {"index", "a retrieval index (SQLite): add files and folders (txt, md, html, pdf), rm, ls", sotto::cli::run_index},
    {"search", "hybrid search (BM25 + embeddings, fused) of a sotto index: passages with document, page, offsets", sotto::cli::run_search},
    {"ask", "answer a question from an index's passages, with citations checked word for word against them", sotto::cli::run_ask},
    {"pull", "download a GGUF model from the Hugging Face hub into its local cache (then -m hf:OWNER/NAME)", sotto::cli::run_pull},
    {"models", "list the GGUF models in the local Hugging Face hub cache, with sizes", sotto::cli::run_models},
    {"convert", "a Hugging Face checkpoint folder (safetensors, config.json, tokenizer.json) to GGUF, quantized on the way", sotto::cli::run_convert},
    {"splat", "Gaussian-splat scenes (.ply, .splat): info, and render a view to PNG on the CPU", sotto::cli::run_splat},
    {"serve", "serve the browser app on 127.0.0.1; --api: OpenAI-compatible /v1/ endpoints", sotto::cli::run_serve},
};

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: sotto <command> [options]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "\nRun 'sotto <command> --help' for the options of a command; 'sotto --version' prints the version.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    print_usage(stdout);
    return 0;
  }
  if (cmd == "-V" || cmd == "--version" || cmd == "version") {
    std::printf("sotto %s\n", SOTTO_VERSION);
    return 0;
  }
  for (const auto& c : kCommands) {
    if (cmd != c.name) continue;
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const sotto::cli::UsageError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 2;
    } catch (const sotto::Error& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "sotto: %s\n", e.what());
      return 1;
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "sotto: out of memory\n");
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sotto: internal error: %s\n", e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "sotto: unknown command '%s' (see sotto --help)\n", cmd.c_str());
  return 2;
}
