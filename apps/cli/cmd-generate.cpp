// cmd-generate.cpp — `sotto generate`: streams generated text to stdout and timing stats to stderr.
// Ctrl-C stops generation cleanly (the stats are still printed).
// With --mmproj (or the mmproj-NAME.gguf `sotto convert` writes beside the model) and --image (SmolVLM): the images are decoded (image/image.h), tiled (image/processor.h) and run
// through the vision tower (models/siglip.h); the prompt becomes SmolVLM's chat turn with each image's layout at its
// <image> placeholder or before the text (runtime/vision-prompt.h), and the tower's rows replace the <image> tokens'
// embeddings in the prefill.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>

#include "cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/gguf.h"
#include "image/image.h"
#include "image/processor.h"
#include "models/siglip.h"
#include "grammar/json-schema.h"
#include "grammar/matcher.h"
#include "grammar/tokenizer-vocab.h"
#include "runtime/generate.h"
#include "runtime/grammar-sampler.h"
#include "runtime/loaded-model.h"
#include "runtime/sampler.h"
#include "runtime/vision-prompt.h"
#include "vision/pipeline.h"

namespace sotto::cli {

namespace {

std::atomic<bool> g_interrupted{false};  // set by SIGINT; a CLI process holds one generation at a time
extern "C" void on_sigint(int) { g_interrupted = true; }

std::string read_text_file(const std::string& path) {
  return path == "-" ? read_stream(stdin, "stdin") : read_file(path);
}

}  // namespace

int run_generate(int argc, char** argv) {
  std::string model_path, prompt, prompt_file, system;
  bool chat = false, show_special = false, quiet = false;
  int n_predict = 128, n_threads = 0, n_ctx = 0, n_batch = 256;
  SamplerParams sp;
  bool seed_set = false;
  std::vector<std::string> stop;
  std::string schema_file, grammar_file, mmproj;
  std::vector<std::string> image_paths;

  ArgParser ap("sotto generate", "-m MODEL.gguf -p PROMPT [options]",
               "Generates text from PROMPT and streams it to stdout; statistics go to stderr.");
  ap.model("-m,--model", &model_path, "GGUF model (required)");
  ap.option("-p,--prompt", &prompt, "TEXT", "prompt text");
  ap.option("-f,--file", &prompt_file, "FILE", "read the prompt from a file (- for stdin)");
  ap.option("-n,--n-predict", &n_predict, "N", "tokens to generate at most; -1: until end or full context (128)", -1);
  ap.flag("--chat", &chat, "wrap the prompt in the model's chat template as a user turn");
  ap.option("--system", &system, "TEXT", "system message for --chat (or with --image)");
  ap.model("--mmproj", &mmproj, "vision projector GGUF (SmolVLM's clip/idefics3 mmproj) for --image");
  ap.list("--image", &image_paths, "FILE",
          "PNG or JPEG for a vision model (needs --mmproj, or mmproj-MODEL.gguf beside the model): each takes the place of one <image> in the "
          "prompt, or all go before it; the prompt becomes SmolVLM's chat turn");
  ap.option("--temp", &sp.temperature, "T", "temperature; 0 = greedy (0.8)");
  ap.option("--top-k", &sp.top_k, "K", "keep the K most likely tokens; 0 = off (40)", 0);
  ap.option("--top-p", &sp.top_p, "P", "nucleus sampling; 1 = off (0.95)");
  ap.option("--min-p", &sp.min_p, "P", "drop tokens below P x the top probability; 0 = off (0.05)");
  ap.option("--repeat-penalty", &sp.repeat_penalty, "R", "penalise repeated tokens; 1 = off (1.0)");
  ap.option("--repeat-last-n", &sp.repeat_last_n, "N", "window of the penalties; -1 = all (64)", -1);
  ap.option("--presence-penalty", &sp.presence_penalty, "P", "subtract P from seen tokens' logits (0)");
  ap.option("--frequency-penalty", &sp.frequency_penalty, "F", "subtract F x count from seen tokens' logits (0)");
  ap.option("--seed", &sp.seed, "N", "random seed (default: random, printed with the stats)", &seed_set);
  ap.list("--stop", &stop, "STR", "stop when STR is generated (not printed)");
  ap.option("-t,--threads", &n_threads, "N", "CPU threads; 0 = all, at most the hardware threads (0)", 0, kMaxThreads);
  ap.option("-c,--ctx-size", &n_ctx, "N", "context size; 0 = min(training context, 4096) (0)", 0);
  ap.option("-b,--batch-size", &n_batch, "N", "prompt tokens per forward pass (256)", 1);
  ap.option("--schema", &schema_file, "FILE", "constrain the output to JSON valid under this JSON Schema");
  ap.option("--grammar", &grammar_file, "FILE", "constrain the output to this GBNF grammar");
  ap.flag("--show-special", &show_special, "print special (control) tokens");
  ap.flag("-q,--quiet", &quiet, "no statistics on stderr");
  if (!ap.parse(argc, argv)) return 0;

  if (model_path.empty()) ap.usage_error("missing -m MODEL.gguf");
  if (!prompt.empty() && !prompt_file.empty()) ap.usage_error("give the prompt with -p or -f, not both");
  if (!prompt_file.empty()) prompt = read_text_file(prompt_file);
  if (prompt.empty()) ap.usage_error("missing -p PROMPT (or -f FILE)");
  if (!image_paths.empty() && mmproj.empty() && !model_path.empty()) {
    // The vision tower beside the model, as `sotto convert` (and so -m DIR, and -m hf: of a SmolVLM checkpoint)
    // writes it: mmproj-NAME.gguf.
    // Else, in a hub snapshot of a GGUF repo (whose tower `sotto pull` fetched with the model), its one mmproj*.gguf.
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(model_path).parent_path();
    fs::path beside = dir / ("mmproj-" + fs::path(model_path).filename().string());
    std::error_code ec;
    // A hub snapshot (models--OWNER--NAME/snapshots/COMMIT/): the folder is one repo's, so its one tower is the model's.
    const bool snapshot = dir.parent_path().filename() == "snapshots" &&
                          dir.parent_path().parent_path().filename().string().rfind("models--", 0) == 0;
    if (!fs::is_regular_file(beside, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(snapshot ? dir : fs::path(), ec)) {
        const std::string name = e.path().filename().string();
        std::string n = name;
        for (auto& c : n) c = char(std::tolower(static_cast<unsigned char>(c)));
        if (n.rfind("mmproj", 0) != 0 || !n.ends_with(".gguf") || !fs::is_regular_file(e.path(), ec)) continue;
        // mmproj-OTHER.gguf beside OTHER.gguf is that model's tower.
        if (n.rfind("mmproj-", 0) == 0 && fs::exists(dir / name.substr(7), ec)) continue;
        found.push_back(e.path());
      }
      if (found.size() != 1)
        ap.usage_error("--image needs --mmproj VISION.gguf (the model that reads images; there is no " +
                       beside.filename().string() + (found.empty() ? "" : ", and several mmproj files,") +
                       " beside the model)");
      beside = found[0];
    }
    mmproj = beside.string();
    if (!quiet) std::fprintf(stderr, "sotto: the vision tower beside the model: %s\n", mmproj.c_str());
  }
  if (!mmproj.empty() && image_paths.empty()) ap.usage_error("--mmproj needs at least one --image");
  if (!system.empty() && !chat && image_paths.empty()) ap.usage_error("--system needs --chat");
  if (!schema_file.empty() && !grammar_file.empty()) ap.usage_error("give --schema or --grammar, not both");
  if (!seed_set) sp.seed = (uint64_t(std::random_device{}()) << 32) ^ std::random_device{}();

  SamplerChain chain = make_chain(sp);  // validates before the (slow) load
  // Compile the grammar text before the load too, so a bad schema fails fast.
  std::optional<grammar::Grammar> constraint;
  if (!schema_file.empty()) constraint = grammar::compile_json_schema(read_text_file(schema_file), schema_file);
  if (!grammar_file.empty()) constraint = grammar::parse_gbnf(read_text_file(grammar_file), grammar_file);
  // Images are decoded before the (slow) loads too: a corrupt file fails fast, in one line naming it.
  std::vector<image::Rgb8> decoded;
  for (const auto& path : image_paths) decoded.push_back(image::load_image(path));
  LoadedModel lm = load_model(model_path, resolve_threads(n_threads, quiet), true);
  std::unique_ptr<GgufFile> mm_file;  // after lm: destroyed before the backend the vision model uses
  std::unique_ptr<VisionModel> vision;
  if (!mmproj.empty()) {
    mm_file = GgufFile::open(mmproj);
    vision = VisionModel::load(*mm_file, *lm.backend);
    if (vision->config().proj_dim != lm.model->config().n_embd) {
      fail(mmproj, ": projects images to ", std::to_string(vision->config().proj_dim), " features but ", model_path,
           " has n_embd ", std::to_string(lm.model->config().n_embd), " (the vision file is not this model's)");
    }
  }
  if (constraint) {
    auto cg = std::make_shared<grammar::CompiledGrammar>(std::move(*constraint), grammar::make_token_trie(*lm.tokenizer));
    chain.add_front(make_grammar_sampler(std::move(cg), lm.tokenizer.get()));
  }
  const ModelConfig& cfg = lm.model->config();
  if (n_ctx == 0) n_ctx = cfg.n_ctx_train > 0 ? std::min(cfg.n_ctx_train, 4096) : 4096;

  if (cfg.n_ctx_train > 0 && n_ctx > cfg.n_ctx_train && !quiet)
    std::fprintf(stderr, "sotto: warning: context %d exceeds the model's training context %d\n", n_ctx,
                 cfg.n_ctx_train);

  std::vector<int32_t> tokens;
  VisionPrompt vp;
  int n_tiles = 0;
  double image_s = 0;
  if (vision) {
    const auto t0 = std::chrono::steady_clock::now();
    const image::ProcessorConfig pc = vision::processor_config(vision->config(), *mm_file);
    std::vector<ImageInput> inputs;
    for (const auto& img : decoded) inputs.push_back(vision::embed_image(*vision, pc, img, &n_tiles));
    image_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    vp = make_vision_prompt(*lm.tokenizer, prompt, inputs, cfg.n_embd, system);
    tokens = vp.tokens;
  } else {
    tokens = encode_prompt(*lm.tokenizer, prompt, chat, system);
  }
  if (tokens.size() > size_t(n_ctx))
    fail("prompt of ", std::to_string(tokens.size()), " tokens does not fit the context of ", std::to_string(n_ctx),
         " tokens (raise -c/--ctx-size)");
  KvCache cache = lm.model->new_cache(n_ctx);

  GenerateParams gp;
  gp.max_tokens = n_predict;
  gp.n_batch = n_batch;
  gp.stop = stop;
  gp.emit_special = show_special;

  g_interrupted = false;
  auto old_handler = std::signal(SIGINT, on_sigint);
  bool ends_with_newline = true;
  GenerateResult res;
  try {
    res = generate(
        *lm.model, cache, *lm.tokenizer, chain, tokens, gp,
        [&](std::string_view piece) {
          std::fwrite(piece.data(), 1, piece.size(), stdout);
          std::fflush(stdout);
          ends_with_newline = piece.back() == '\n';
          return !g_interrupted.load();
        },
        vp.spans());
  } catch (...) {
    std::signal(SIGINT, old_handler);
    throw;
  }
  std::signal(SIGINT, old_handler);
  if (!ends_with_newline) std::fputc('\n', stdout);
  std::fflush(stdout);

  if (!quiet) {
    const GenerateStats& st = res.stats;
    if (vision) {
      std::fprintf(stderr, "sotto: images %zu, %d tiles, %zu <image> tokens, vision tower %.3f s\n", decoded.size(),
                   n_tiles, vp.embd.size() / size_t(cfg.n_embd), image_s);
    }
    std::fprintf(stderr,
                 "sotto: load %.2f s | prompt %d tokens, %.3f s, %.1f tok/s | generated %d tokens (%d forced), "
                 "%.3f s, %.1f tok/s | stop: %s | seed %llu | ctx %d | %s\n",
                 lm.load_s, st.n_prompt, st.prefill_s, st.prefill_tps(), st.n_generated, st.n_forced, st.decode_s,
                 st.decode_tps(), stop_reason_name(st.stop), static_cast<unsigned long long>(sp.seed), n_ctx,
                 chain.describe().c_str());
    if (st.stop == StopReason::ContextFull)
      std::fprintf(stderr, "sotto: the context of %d tokens is full; raise -c to generate more\n", n_ctx);
  }
  return 0;
}

}  // namespace sotto::cli
