// test-serve-api.cpp — `sotto serve --api` as a black box: starts the built binary on a free port of 127.0.0.1 with
// the bundled note model (models/sotto-notes-q8_0.gguf, a real 10M-parameter Llama-style model; else the llama32
// fixture), sends raw HTTP and checks OpenAI's shapes: /v1/models; chat and text completions equal to `sotto generate`
// with the same settings (greedy, and seeded sampling: one sampler chain, one chat template); streaming as
// server-sent events whose deltas add up to the non-streamed answer, ending in "data: [DONE]"; response_format
// json_schema and json_object giving JSON valid under the schema (streamed too); stop strings; concurrent requests
// each answered as if alone (served one at a time); a client that leaves mid-stream; the bearer token; and each
// hostile or malformed request (one TEST_P case each) answered with one line of OpenAI's error JSON, its status,
// param and code, the server answering the next request as before. No timing assertions.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "cli-run.h"
#include "serve-run.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/thread-pool.h"
#include "models/bert.h"
#include "text/tokenizer.h"

namespace fs = std::filesystem;
using sotto::json::Value;

namespace {

std::string model_path() {
  const std::string m = SOTTO_SOURCE_DIR "/models/sotto-notes-q8_0.gguf";
  return fs::is_regular_file(m) ? m : SOTTO_SOURCE_DIR "/tests/fixtures/models/llama32-q8_0.gguf";
}
std::string model_id() { return fs::path(model_path()).stem().string(); }

using serve_run::Server;
using serve_run::stop;

// `sotto serve --api --port 0 -q -t 1 -m MODEL ARGS...` (env: extra environment; serve-run.h).
Server start(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> a = {"--api", "-q", "-t", "1", "--root", SOTTO_SOURCE_DIR, "-m", model_path()};
  a.insert(a.end(), args.begin(), args.end());
  return serve_run::start(a, {-1, 0, env});
}

int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  const timeval tv{60, 0};  // a server that never answers fails the test instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

struct Response {
  int status = 0;
  std::string head, body;  // body de-chunked
  bool has_header(const std::string& h) const { return (head + "\r\n").find("\r\n" + h + "\r\n") != std::string::npos; }
};

// Splits a whole HTTP response (read to the server's close) into status, head and body.
Response parse_response(const std::string& raw) {
  Response r;
  const size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) {
    r.body = raw;
    return r;
  }
  r.status = std::atoi(raw.c_str() + 9);
  r.head = raw.substr(0, end);
  std::string body = raw.substr(end + 4);
  if (r.has_header("Transfer-Encoding: chunked")) {
    std::string out;
    size_t p = 0;
    while (p < body.size()) {
      const size_t eol = body.find("\r\n", p);
      if (eol == std::string::npos) break;
      const size_t n = std::stoul(body.substr(p, eol - p), nullptr, 16);
      if (n == 0) break;
      out += body.substr(eol + 2, n);
      p = eol + 2 + n + 2;
    }
    body = out;
  }
  r.body = body;
  return r;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t k;
  while ((k = recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, size_t(k));
  return out;
}

// One request on its own connection (Connection: close).
Response http(int port, const std::string& method, const std::string& path, const std::string& body = "",
              const std::string& headers = "Content-Type: application/json\r\n") {
  const int fd = connect_to(port);
  if (fd < 0) return {};
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n" + headers;
  if (method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  const std::string raw = read_all(fd);
  close(fd);
  return parse_response(raw);
}

Value parse_json(const std::string& s) {
  try {
    return sotto::json::parse(s, "response");
  } catch (const sotto::Error& e) {
    ADD_FAILURE() << e.what() << " in: " << s;
    return Value();
  }
}

// The data: payloads of a server-sent event stream, in order (the last is "[DONE]" when it ended properly).
std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p < body.size()) {
    const size_t e = body.find("\n\n", p);
    if (e == std::string::npos) break;
    const std::string ev = body.substr(p, e - p);
    EXPECT_EQ(ev.rfind("data: ", 0), 0u) << ev;
    out.push_back(ev.substr(6));
    p = e + 2;
  }
  EXPECT_EQ(p, body.size()) << "trailing bytes after the last event: " << body.substr(p);
  return out;
}

std::string chat_body(const std::string& content, const std::string& extra) {
  return R"({"model": ")" + model_id() + R"(", "messages": [{"role": "user", "content": )" +
         sotto::json::quote(content) + "}]" + (extra.empty() ? "" : ", " + extra) + "}";
}

// `sotto generate` on the same model, its stdout as the API would return it (without the newline the CLI adds
// after text that does not end in one).
std::string cli_generate(const std::string& args) {
  auto r = cli_run::run("generate -m " + model_path() + " -q -t 1 " + args, false);
  EXPECT_EQ(r.code, 0) << r.out;
  if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

const char kPrompt[] = "Patient reports a headache for two days and mild fever.";

class ServeApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access(cli_run::sotto_path().c_str(), X_OK) != 0) return;
    server_ = start({});
  }
  static void TearDownTestSuite() { stop(server_); }
  void SetUp() override {
    if (access(cli_run::sotto_path().c_str(), X_OK) != 0) GTEST_SKIP() << "sotto binary not built";
    ASSERT_TRUE(server_.error.empty()) << server_.error;
    ASSERT_GT(server_.port, 0);
  }
  static Response post(const std::string& path, const std::string& body) { return http(server_.port, "POST", path, body); }
  static Value ok_json(const Response& r) {
    EXPECT_EQ(r.status, 200) << r.head << "\n" << r.body;
    EXPECT_TRUE(r.has_header("Content-Type: application/json")) << r.head;
    return parse_json(r.body);
  }
  static inline Server server_;
};

}  // namespace

TEST_F(ServeApi, ListsTheLoadedModel) {
  Value v = ok_json(http(server_.port, "GET", "/v1/models"));
  EXPECT_EQ(v.at("object").str(), "list");
  ASSERT_GE(v.at("data").arr().size(), 1u);  // the language model, then the speech model (--asr-model) when there
  EXPECT_EQ(v.at("data").arr()[0].at("id").str(), model_id());
  EXPECT_EQ(v.at("data").arr()[0].at("object").str(), "model");
  if (fs::is_regular_file(SOTTO_SOURCE_DIR "/models/sotto-asr-q8_0.gguf")) {
    ASSERT_EQ(v.at("data").arr().size(), 2u);
    EXPECT_EQ(v.at("data").arr()[1].at("id").str(), "sotto-asr-q8_0");
  }
  Value one = ok_json(http(server_.port, "GET", "/v1/models/" + model_id()));
  EXPECT_EQ(one.at("id").str(), model_id());
  Response missing = http(server_.port, "GET", "/v1/models/gpt-4o");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(parse_json(missing.body).at("error").at("code").str(), "model_not_found");
}

TEST_F(ServeApi, ChatGreedyEqualsGenerate) {
  Value v = ok_json(post("/v1/chat/completions", chat_body(kPrompt, R"("temperature": 0, "max_tokens": 24)")));
  EXPECT_EQ(v.at("object").str(), "chat.completion");
  EXPECT_EQ(v.at("model").str(), model_id());
  const Value& c = v.at("choices").arr().at(0);
  EXPECT_EQ(c.at("message").at("role").str(), "assistant");
  EXPECT_EQ(c.at("message").at("content").str(), cli_generate(std::string("--chat --temp 0 -n 24 -p ") + "'" + kPrompt + "'"));
  EXPECT_EQ(c.at("finish_reason").str(), "length");
  EXPECT_EQ(v.at("usage").at("completion_tokens").integer(), 24);
  EXPECT_EQ(v.at("usage").at("total_tokens").integer(),
            v.at("usage").at("prompt_tokens").integer() + v.at("usage").at("completion_tokens").integer());
}

TEST_F(ServeApi, SeededSamplingEqualsGenerateAndRepeats) {
  // Unset fields take generate's defaults (top-k 40, min-p 0.05); temperature, top_p and seed as given.
  const std::string extra = R"("temperature": 1.1, "top_p": 0.9, "seed": 7, "max_tokens": 20)";
  const std::string a = ok_json(post("/v1/chat/completions", chat_body(kPrompt, extra))).at("choices").arr()[0].at("message").at("content").str();
  const std::string b = ok_json(post("/v1/chat/completions", chat_body(kPrompt, extra))).at("choices").arr()[0].at("message").at("content").str();
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, cli_generate(std::string("--chat --temp 1.1 --top-p 0.9 --seed 7 -n 20 -p '") + kPrompt + "'"));
}

TEST_F(ServeApi, TextCompletionEqualsGenerate) {
  Value v = ok_json(post("/v1/completions", R"({"prompt": "The patient", "temperature": 0, "max_tokens": 12})"));
  EXPECT_EQ(v.at("object").str(), "text_completion");
  const Value& c = v.at("choices").arr().at(0);
  EXPECT_EQ(c.at("text").str(), cli_generate("--temp 0 -n 12 -p 'The patient'"));
  // OpenAI's default of 16 tokens when max_tokens is not given.
  Value d = ok_json(post("/v1/completions", R"({"prompt": ["The patient"], "temperature": 0})"));
  EXPECT_EQ(d.at("usage").at("completion_tokens").integer(), 16);
}

TEST_F(ServeApi, StreamAddsUpToTheAnswerAndEndsWithDone) {
  const std::string extra = R"("temperature": 0, "max_tokens": 16)";
  const std::string whole = ok_json(post("/v1/chat/completions", chat_body(kPrompt, extra))).at("choices").arr()[0].at("message").at("content").str();
  Response r = post("/v1/chat/completions",
                    chat_body(kPrompt, extra + R"(, "stream": true, "stream_options": {"include_usage": true})"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.has_header("Content-Type: text/event-stream")) << r.head;
  const auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 4u) << r.body;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  int finishes = 0;
  for (size_t i = 0; i + 1 < events.size(); i++) {
    Value e = parse_json(events[i]);
    EXPECT_EQ(e.at("object").str(), "chat.completion.chunk");
    if (i + 2 == events.size()) {  // the usage chunk
      EXPECT_TRUE(e.at("choices").arr().empty());
      EXPECT_EQ(e.at("usage").at("completion_tokens").integer(), 16);
      continue;
    }
    const Value& c = e.at("choices").arr().at(0);
    if (i == 0) {
      EXPECT_EQ(c.at("delta").at("role").str(), "assistant");
    }
    if (const Value* t = c.at("delta").find("content")) text += t->str();
    if (!c.at("finish_reason").is_null()) {
      finishes++;
      EXPECT_EQ(c.at("finish_reason").str(), "length");
    }
  }
  EXPECT_EQ(finishes, 1);
  EXPECT_EQ(text, whole);
  // Text completions stream too.
  Response t = post("/v1/completions", R"({"prompt": "The patient", "temperature": 0, "max_tokens": 5, "stream": true})");
  const auto tev = sse_events(t.body);
  ASSERT_GE(tev.size(), 2u);
  EXPECT_EQ(tev.back(), "[DONE]");
  EXPECT_EQ(parse_json(tev[0]).at("object").str(), "text_completion");
}

// Multi-turn chat: turn 2's prompt starts with turn 1's prompt and answer, whose K/V the server kept, so only the
// rest is prefilled; the answer is the one of a cold run ("cache_prompt": false prefills everything), streamed too.
TEST_F(ServeApi, NextTurnReusesTheCacheAndAnswersAsAColdRun) {
  const std::string extra = R"("temperature": 0, "max_tokens": 16)";
  const std::string turn1 = R"([{"role": "user", "content": )" + sotto::json::quote(kPrompt) + "}";
  Value v1 = ok_json(post("/v1/chat/completions", R"({"messages": )" + turn1 + "], " + extra + "}"));
  const std::string reply1 = v1.at("choices").arr()[0].at("message").at("content").str();
  const int64_t n1 = v1.at("usage").at("prompt_tokens").integer();
  const std::string turn2 = turn1 + R"(, {"role": "assistant", "content": )" + sotto::json::quote(reply1) +
                            R"(}, {"role": "user", "content": "How long has the fever lasted?"}])";
  const std::string body2 = R"({"messages": )" + turn2 + ", " + extra;
  Value warm = ok_json(post("/v1/chat/completions", body2 + "}"));
  const int64_t n2 = warm.at("usage").at("prompt_tokens").integer();
  const int64_t reused = warm.at("usage").at("prompt_tokens_details").at("cached_tokens").integer();
  EXPECT_GE(reused, n1) << "turn 1's prompt at least";  // and its answer as far as it re-tokenizes the same
  EXPECT_LT(reused, n2);
  EXPECT_EQ(warm.at("timings").at("cache_n").integer(), reused);
  EXPECT_EQ(warm.at("timings").at("prompt_n").integer(), n2 - reused);  // only the rest was prefilled
  Value cold = ok_json(post("/v1/chat/completions", body2 + R"(, "cache_prompt": false})"));
  EXPECT_EQ(cold.at("usage").at("prompt_tokens_details").at("cached_tokens").integer(), 0);
  EXPECT_EQ(cold.at("timings").at("prompt_n").integer(), n2);
  const std::string answer = cold.at("choices").arr()[0].at("message").at("content").str();
  EXPECT_EQ(warm.at("choices").arr()[0].at("message").at("content").str(), answer);
  EXPECT_EQ(warm.at("usage").at("completion_tokens").integer(), cold.at("usage").at("completion_tokens").integer());

  // Streamed, after turn 1 again: the same answer, the reuse in the usage chunk.
  ok_json(post("/v1/chat/completions", R"({"messages": )" + turn1 + "], " + extra + "}"));
  Response r = post("/v1/chat/completions",
                    body2 + R"(, "stream": true, "stream_options": {"include_usage": true}})");
  const auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 3u) << r.body;
  std::string text;
  for (size_t i = 0; i + 2 < events.size(); i++) {
    const Value e = parse_json(events[i]);  // named: a pointer into a temporary would dangle in the if's body
    if (const Value* t = e.at("choices").arr().at(0).at("delta").find("content")) text += t->str();
  }
  EXPECT_EQ(text, answer);
  const Value u = parse_json(events[events.size() - 2]);
  // All but the last prompt token: the cold run's cache was saved (runtime/prompt-cache.h) when turn 1 overwrote it.
  EXPECT_EQ(u.at("usage").at("prompt_tokens_details").at("cached_tokens").integer(), n2 - 1);
  // A prompt sharing nothing past the template's head reuses only that; a bad cache_prompt is a 400.
  Value other = ok_json(post("/v1/completions", R"({"prompt": "Zebra", "temperature": 0, "max_tokens": 2})"));
  EXPECT_LE(other.at("usage").at("prompt_tokens_details").at("cached_tokens").integer(), 1);
  Response bad = post("/v1/chat/completions", body2 + R"(, "cache_prompt": 1})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(parse_json(bad.body).at("error").at("param").str(), "cache_prompt");
}

// Two conversations interleaved (A1, B1, A2, B2): each turn 2 reuses its own turn 1, which was saved as a snapshot
// when the other conversation overwrote the cache, and answers as a cold run; with --cache-ram 0 only the live cache
// is kept, so A2 after B1 reuses no more than the template's head.
std::string turn2(const std::string& user1, const std::string& reply1, const std::string& user2) {
  return R"([{"role": "user", "content": )" + sotto::json::quote(user1) + R"(}, {"role": "assistant", "content": )" +
         sotto::json::quote(reply1) + R"(}, {"role": "user", "content": )" + sotto::json::quote(user2) + "}]";
}

TEST_F(ServeApi, InterleavedConversationsEachReuseTheirOwnPrefix) {
  const std::string extra = R"(, "temperature": 0, "max_tokens": 12)";
  const std::string a1 = kPrompt, b1 = "Ankle sprain after a fall yesterday, swelling, can walk.";
  auto ask = [&](int port, const std::string& messages, const std::string& more = "") {
    const Response r = http(port, "POST", "/v1/chat/completions", R"({"messages": )" + messages + extra + more + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_json(r.body);
  };
  auto one = [](const std::string& u) { return R"([{"role": "user", "content": )" + sotto::json::quote(u) + "}]"; };
  auto text = [](const Value& v) { return v.at("choices").arr()[0].at("message").at("content").str(); };
  auto cached = [](const Value& v) { return v.at("usage").at("prompt_tokens_details").at("cached_tokens").integer(); };
  const Value va1 = ask(server_.port, one(a1)), vb1 = ask(server_.port, one(b1));
  const int64_t na1 = va1.at("usage").at("prompt_tokens").integer(), nb1 = vb1.at("usage").at("prompt_tokens").integer();
  const std::string a2 = turn2(a1, text(va1), "How long has the fever lasted?");
  const std::string b2 = turn2(b1, text(vb1), "Which ankle?");
  const Value wa2 = ask(server_.port, a2), wb2 = ask(server_.port, b2);
  EXPECT_GE(cached(wa2), na1) << "A's turn 1, from its snapshot";
  EXPECT_GE(cached(wb2), nb1) << "B's turn 1, from its snapshot";
  for (const Value* w : {&wa2, &wb2}) {
    EXPECT_EQ(w->at("timings").at("cache_n").integer(), cached(*w));
    EXPECT_EQ(w->at("timings").at("prompt_n").integer(), w->at("usage").at("prompt_tokens").integer() - cached(*w));
  }
  const Value ca2 = ask(server_.port, a2, R"(, "cache_prompt": false)");
  const Value cb2 = ask(server_.port, b2, R"(, "cache_prompt": false)");
  EXPECT_EQ(cached(ca2), 0);
  EXPECT_EQ(text(wa2), text(ca2));
  EXPECT_EQ(text(wb2), text(cb2));
  EXPECT_EQ(wa2.at("usage").at("completion_tokens").integer(), ca2.at("usage").at("completion_tokens").integer());

  Server small = start({"--cache-ram", "0"});
  ASSERT_TRUE(small.error.empty()) << small.error;
  ask(small.port, one(a1));
  ask(small.port, one(b1));
  const Value only_live = ask(small.port, a2);
  EXPECT_LT(cached(only_live), na1 / 2) << "the template's head only";
  EXPECT_EQ(text(only_live), text(ca2));
  stop(small);
  const auto bad = cli_run::run("serve --cache-ram 16");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--cache-ram are for --api"), std::string::npos) << bad.out;
}

// A document valid under the test schema: the required keys with their types and bounds (the grammar's promise).
void expect_valid_visit(const std::string& text) {
  Value v = parse_json(text);
  ASSERT_TRUE(v.is_object()) << text;
  ASSERT_NE(v.find("symptom"), nullptr) << text;
  EXPECT_TRUE(v.at("symptom").is_string()) << text;
  EXPECT_LE(v.at("symptom").str().size(), 40u) << text;
  ASSERT_NE(v.find("days"), nullptr) << text;
  ASSERT_TRUE(v.at("days").is_integer_number()) << text;
  EXPECT_GE(v.at("days").integer(), 0);
  EXPECT_LE(v.at("days").integer(), 30);
  ASSERT_NE(v.find("fever"), nullptr) << text;
  EXPECT_TRUE(v.at("fever").is_bool()) << text;
  EXPECT_EQ(v.obj().size(), 3u) << text;
}

TEST_F(ServeApi, JsonSchemaOutputIsValid) {
  const std::string rf = R"("response_format": {"type": "json_schema", "json_schema": {"name": "visit", "strict": true,
      "schema": {"type": "object", "properties": {"symptom": {"type": "string", "maxLength": 40},
      "days": {"type": "integer", "minimum": 0, "maximum": 30}, "fever": {"type": "boolean"}},
      "required": ["symptom", "days", "fever"], "additionalProperties": false}}})";
  for (int seed : {1, 2, 3}) {
    Value v = ok_json(post("/v1/chat/completions", chat_body(kPrompt, rf + R"(, "max_tokens": 300, "seed": )" + std::to_string(seed))));
    const Value& c = v.at("choices").arr().at(0);
    EXPECT_EQ(c.at("finish_reason").str(), "stop") << seed;
    expect_valid_visit(c.at("message").at("content").str());
  }
  Response r = post("/v1/chat/completions", chat_body(kPrompt, rf + R"(, "max_tokens": 300, "seed": 4, "stream": true)"));
  std::string text;
  for (const auto& e : sse_events(r.body)) {
    if (e == "[DONE]") continue;
    const Value v = parse_json(e);
    if (const Value* t = v.at("choices").arr().at(0).at("delta").find("content")) text += t->str();
  }
  expect_valid_visit(text);
  // json_object: a JSON object (the free-form map's grammar does not keep keys apart, so a key may repeat, which
  // sotto::json refuses: docs/api.md).
  Value o = ok_json(post("/v1/chat/completions", chat_body(kPrompt, R"("response_format": {"type": "json_object"}, "max_tokens": 300, "seed": 5)")));
  const std::string content = o.at("choices").arr().at(0).at("message").at("content").str();
  if (o.at("choices").arr().at(0).at("finish_reason").str() == "stop") {
    try {
      EXPECT_TRUE(sotto::json::parse(content, "content").is_object()) << content;
    } catch (const sotto::Error& e) {
      EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what() << ": " << content;
    }
  }
}

// The same schema engine as `generate --schema`: the same answer, token for token; asked again (its compiled grammar
// then cached, masks and all), the same again.
TEST_F(ServeApi, SchemaAnswerEqualsGenerateSchema) {
  const std::string path = SOTTO_SOURCE_DIR "/templates/soap.schema.json";
  std::ifstream f(path);
  const std::string schema((std::istreambuf_iterator<char>(f)), {});
  const std::string extra = R"("response_format": {"type": "json_schema", "json_schema": {"name": "soap", "schema": )" +
                            schema + R"(}}, "seed": 11, "max_tokens": 400)";
  const std::string a = ok_json(post("/v1/chat/completions", chat_body(kPrompt, extra))).at("choices").arr()[0].at("message").at("content").str();
  const std::string b = ok_json(post("/v1/chat/completions", chat_body(kPrompt, extra))).at("choices").arr()[0].at("message").at("content").str();
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, cli_generate("--chat --seed 11 -n 400 --schema " + path + " -p '" + kPrompt + "'"));
}

TEST_F(ServeApi, StopStringEndsTheAnswer) {
  const std::string whole = ok_json(post("/v1/completions", R"({"prompt": "The patient", "temperature": 0, "max_tokens": 12})"))
                                .at("choices").arr()[0].at("text").str();
  ASSERT_GE(whole.size(), 4u);
  const std::string stop = whole.substr(whole.size() / 2, 3);
  Value v = ok_json(post("/v1/completions", R"({"prompt": "The patient", "temperature": 0, "max_tokens": 12, "stop": [)" +
                                               sotto::json::quote(stop) + "]}"));
  const Value& c = v.at("choices").arr().at(0);
  EXPECT_EQ(c.at("finish_reason").str(), "stop");
  EXPECT_EQ(c.at("text").str(), whole.substr(0, whole.find(stop)));
}

TEST_F(ServeApi, ConcurrentRequestsEachAnsweredAsAlone) {
  std::vector<std::string> want(4), got(4);
  auto body = [](int i) { return chat_body(std::string(kPrompt) + " Visit " + std::to_string(i), R"("temperature": 0, "max_tokens": 40)"); };
  for (int i = 0; i < 4; i++) want[size_t(i)] = post("/v1/chat/completions", body(i)).body;
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; i++) ts.emplace_back([&, i] { got[size_t(i)] = post("/v1/chat/completions", body(i)).body; });
  for (auto& t : ts) t.join();
  for (int i = 0; i < 4; i++) {
    Value a = parse_json(want[size_t(i)]), b = parse_json(got[size_t(i)]);
    EXPECT_EQ(a.at("choices").arr()[0].at("message").at("content").str(), b.at("choices").arr()[0].at("message").at("content").str()) << i;
  }
}

TEST_F(ServeApi, ClientLeavingMidStreamLeavesTheServerServing) {
  const int fd = connect_to(server_.port);
  ASSERT_GE(fd, 0);
  const std::string body = chat_body(kPrompt, R"("max_tokens": 800, "stream": true, "seed": 1)");
  const std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server_.port) +
                          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  char buf[256];
  EXPECT_GT(recv(fd, buf, sizeof buf, 0), 0);
  close(fd);
  EXPECT_EQ(http(server_.port, "GET", "/v1/models").status, 200);
  ok_json(post("/v1/completions", R"({"prompt": "The patient", "max_tokens": 3})"));
}

TEST_F(ServeApi, ClientLeavingBeforeTheAnswerLeavesTheServerServing) {
  const int fd = connect_to(server_.port);
  ASSERT_GE(fd, 0);
  const std::string body = chat_body(kPrompt, R"("max_tokens": 900, "seed": 1)");
  const std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server_.port) +
                          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  close(fd);  // gone before the answer: its generation stops at the next token (HttpServer::client_gone)
  EXPECT_EQ(http(server_.port, "GET", "/v1/models").status, 200);
  ok_json(post("/v1/completions", R"({"prompt": "The patient", "max_tokens": 3})"));
}

TEST_F(ServeApi, KeepAliveAfterABody) {
  const int fd = connect_to(server_.port);
  ASSERT_GE(fd, 0);
  const std::string body = R"({"prompt": "The patient", "max_tokens": 2, "temperature": 0})";
  std::string reqs;
  for (int i = 0; i < 2; i++) {
    reqs += "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server_.port) +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            (i == 1 ? "\r\nConnection: close" : "") + "\r\n\r\n" + body;
  }
  send(fd, reqs.data(), reqs.size(), MSG_NOSIGNAL);
  const std::string raw = read_all(fd);
  close(fd);
  size_t n = 0;
  for (size_t p = raw.find("HTTP/1.1 200 OK"); p != std::string::npos; p = raw.find("HTTP/1.1 200 OK", p + 1)) n++;
  EXPECT_EQ(n, 2u) << raw;
}

// ---- function calling

const char kTools[] = R"("tools": [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
     "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20},
     "unit": {"enum": ["c", "f"]}}, "required": ["city", "unit"], "additionalProperties": false}}},
    {"type": "function", "function": {"name": "book_visit", "parameters": {"type": "object",
     "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 30}}, "required": ["days"],
     "additionalProperties": false}}}])";

// A call valid under the tools above: its name, and arguments that fit that function's parameters.
void expect_valid_call(const Value& call, const std::string& want_name = "") {
  EXPECT_EQ(call.at("type").str(), "function");
  EXPECT_FALSE(call.at("id").str().empty());
  const std::string name = call.at("function").at("name").str();
  if (!want_name.empty()) EXPECT_EQ(name, want_name);
  Value args = parse_json(call.at("function").at("arguments").str());
  if (name == "get_weather") {
    EXPECT_LE(args.at("city").str().size(), 20u);
    EXPECT_TRUE(args.at("unit").str() == "c" || args.at("unit").str() == "f");
    EXPECT_EQ(args.obj().size(), 2u);
  } else {
    ASSERT_EQ(name, "book_visit");
    EXPECT_GE(args.at("days").integer(), 1);
    EXPECT_LE(args.at("days").integer(), 30);
    EXPECT_EQ(args.obj().size(), 1u);
  }
}

TEST_F(ServeApi, ToolChoiceRequiredGivesAValidCall) {
  for (int seed : {1, 2, 3, 4}) {
    Value v = ok_json(post("/v1/chat/completions", chat_body("What is the weather in Paris?", std::string(kTools) +
                                                             R"(, "tool_choice": "required", "seed": )" + std::to_string(seed))));
    const Value& c = v.at("choices").arr().at(0);
    EXPECT_EQ(c.at("finish_reason").str(), "tool_calls");
    EXPECT_TRUE(c.at("message").at("content").is_null());
    ASSERT_EQ(c.at("message").at("tool_calls").arr().size(), 1u);
    expect_valid_call(c.at("message").at("tool_calls").arr()[0]);
  }
}

TEST_F(ServeApi, NamedToolChoiceStreamedEqualsWhole) {
  const std::string extra = std::string(kTools) +
                            R"(, "tool_choice": {"type": "function", "function": {"name": "get_weather"}}, "seed": 5)";
  Value v = ok_json(post("/v1/chat/completions", chat_body("Book me in.", extra)));
  const Value& call = v.at("choices").arr().at(0).at("message").at("tool_calls").arr().at(0);
  expect_valid_call(call, "get_weather");
  Response r = post("/v1/chat/completions", chat_body("Book me in.", extra + R"(, "stream": true)"));
  const auto events = sse_events(r.body);
  ASSERT_GE(events.size(), 4u) << r.body;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string args, name, finish;
  for (size_t i = 0; i + 1 < events.size(); i++) {
    const Value e = parse_json(events[i]);
    const Value& c = e.at("choices").arr().at(0);
    if (!c.at("finish_reason").is_null()) finish = c.at("finish_reason").str();
    if (const Value* tc = c.at("delta").find("tool_calls")) {
      EXPECT_EQ(tc->arr().at(0).at("index").integer(), 0);
      if (const Value* n = tc->arr().at(0).at("function").find("name")) name += n->str();
      args += tc->arr().at(0).at("function").at("arguments").str();
    }
  }
  EXPECT_EQ(finish, "tool_calls");
  EXPECT_EQ(name, "get_weather");
  EXPECT_EQ(args, call.at("function").at("arguments").str());
}

TEST_F(ServeApi, ToolChoiceNoneIsAPlainAnswer) {
  const std::string plain = ok_json(post("/v1/chat/completions", chat_body(kPrompt, R"("temperature": 0, "max_tokens": 12)")))
                                .at("choices").arr()[0].at("message").at("content").str();
  Value v = ok_json(post("/v1/chat/completions", chat_body(kPrompt, std::string(kTools) +
                                                           R"(, "tool_choice": "none", "temperature": 0, "max_tokens": 12)")));
  EXPECT_EQ(v.at("choices").arr()[0].at("message").at("content").str(), plain);
  EXPECT_EQ(v.at("choices").arr()[0].at("message").find("tool_calls"), nullptr);
}

TEST_F(ServeApi, ToolChoiceAutoAnswersOrCalls) {
  for (int seed : {1, 2, 3}) {
    Value v = ok_json(post("/v1/chat/completions", chat_body(kPrompt, std::string(kTools) + R"(, "max_tokens": 60, "seed": )" +
                                                             std::to_string(seed))));
    const Value& c = v.at("choices").arr().at(0);
    if (c.at("finish_reason").str() == "tool_calls") {
      expect_valid_call(c.at("message").at("tool_calls").arr().at(0));
    } else {
      EXPECT_TRUE(c.at("message").at("content").is_string());
    }
  }
}

TEST_F(ServeApi, ConversationWithCallsAndResults) {
  const std::string body = R"({"messages": [{"role": "user", "content": "Weather in Paris?"},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
       "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"c\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"}], )" + std::string(kTools) +
                           R"(, "max_tokens": 8, "seed": 1})";
  ok_json(post("/v1/chat/completions", body));
}

// ---- speech to text

// A multipart/form-data body of (name, filename or "", content) parts, and its Content-Type header line.
std::pair<std::string, std::string> multipart(const std::vector<std::array<std::string, 3>>& parts) {
  const std::string b = "sotto-test-boundary-7f3a";
  std::string body;
  for (const auto& [name, filename, content] : parts) {
    body += "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name + "\"" +
            (filename.empty() ? "" : "; filename=\"" + filename + "\"") + "\r\n" +
            (filename.empty() ? "" : "Content-Type: audio/wav\r\n") + "\r\n" + content + "\r\n";
  }
  body += "--" + b + "--\r\n";
  return {body, "Content-Type: multipart/form-data; boundary=" + b + "\r\n"};
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

const char kWav[] = SOTTO_SOURCE_DIR "/samples/visit-soap.wav";

TEST_F(ServeApi, TranscriptionEqualsTranscribe) {
  if (!fs::is_regular_file(SOTTO_SOURCE_DIR "/models/sotto-asr-q8_0.gguf")) GTEST_SKIP() << "no bundled speech model";
  const std::string wav = read_bytes(kWav);
  auto cli = cli_run::run(std::string("transcribe -t 1 ") + kWav, false);
  ASSERT_EQ(cli.code, 0);
  std::string joined;  // the CLI's lines, joined by spaces
  for (size_t p = 0; p < cli.out.size();) {
    const size_t e = cli.out.find('\n', p);
    joined += (joined.empty() ? "" : " ") + cli.out.substr(p, e - p);
    p = e + 1;
  }
  auto [body, type] = multipart({{"file", "visit.wav", wav}, {"model", "", "sotto-asr-q8_0"}});
  Response r = http(server_.port, "POST", "/v1/audio/transcriptions", body, type);
  EXPECT_EQ(ok_json(r).at("text").str(), joined);
  auto [vb, vt] = multipart({{"file", "visit.wav", wav}, {"response_format", "", "verbose_json"}});
  Response vr = http(server_.port, "POST", "/v1/audio/transcriptions", vb, vt);
  Value v = ok_json(vr);
  EXPECT_EQ(v.at("text").str(), joined);
  EXPECT_NE(vr.body.find("\"duration\":33.202,"), std::string::npos) << "the shortest digits that read back";
  size_t n_lines = 0;
  for (char c : cli.out) n_lines += c == '\n';
  EXPECT_EQ(v.at("segments").arr().size(), n_lines);
  auto srt_cli = cli_run::run(std::string("transcribe -t 1 --srt ") + kWav, false);
  auto [sb, st] = multipart({{"file", "visit.wav", wav}, {"response_format", "", "srt"}});
  Response srt = http(server_.port, "POST", "/v1/audio/transcriptions", sb, st);
  EXPECT_EQ(srt.status, 200);
  EXPECT_EQ(srt.body, srt_cli.out);
  auto [tb, tt] = multipart({{"file", "visit.wav", wav}, {"response_format", "", "text"}});
  EXPECT_EQ(http(server_.port, "POST", "/v1/audio/transcriptions", tb, tt).body, joined + "\n");
  auto [wb, wt] = multipart({{"file", "visit.wav", wav}, {"response_format", "", "vtt"}});
  EXPECT_EQ(http(server_.port, "POST", "/v1/audio/transcriptions", wb, wt).body.rfind("WEBVTT\n\n00:00:00.000 --> ", 0), 0u);
}

// ---- embeddings

std::string unbase64(const std::string& s) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char* p = c ? std::strchr(abc, c) : nullptr;
    if (!p) continue;  // '=' padding
    acc = acc << 6 | uint32_t(p - abc);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

TEST(ServeApiEmbeddings, EqualTheModelsOwnFloatAndBase64) {
  if (access(cli_run::sotto_path().c_str(), X_OK) != 0) GTEST_SKIP() << "sotto binary not built";
  const std::string path = SOTTO_SOURCE_DIR "/tests/fixtures/embed/bert-f32.gguf";
  Server s = start({"--embed-model", path});
  ASSERT_TRUE(s.error.empty()) << s.error;
  // What the model itself gives, in one batch of the same texts (the server's embedder batches by 2048 tokens: these
  // three are one batch), on one thread as the server (-t 1).
  auto f = sotto::GgufFile::open(path);
  sotto::ThreadPool pool(1);
  auto be = sotto::make_cpu_backend(pool);
  auto model = sotto::BertModel::load(*f, *be);
  auto tok = sotto::Tokenizer::from_gguf(*f);
  const std::vector<std::string> texts = {"the cat sat on the mat", "hello world", "a"};
  std::vector<std::vector<int32_t>> seqs;
  for (const auto& t : texts) seqs.push_back(tok->encode(t, true, false));
  const std::vector<float> want = model->embed(seqs, model->config().pooling, true);
  const size_t d = size_t(model->config().n_embd);

  Response r = http(s.port, "POST", "/v1/embeddings", R"({"model": "bert-f32", "input": ["the cat sat on the mat", "hello world", "a"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  Value v = parse_json(r.body);
  EXPECT_EQ(v.at("model").str(), "bert-f32");
  ASSERT_EQ(v.at("data").arr().size(), 3u);
  for (size_t i = 0; i < 3; i++) {
    const Value& e = v.at("data").arr()[i];
    EXPECT_EQ(e.at("index").integer(), int64_t(i));
    ASSERT_EQ(e.at("embedding").arr().size(), d);
    for (size_t k = 0; k < d; k++) EXPECT_EQ(float(e.at("embedding").arr()[k].number()), want[i * d + k]) << i << " " << k;
  }
  EXPECT_EQ(v.at("usage").at("prompt_tokens").integer(), int64_t(seqs[0].size() + seqs[1].size() + seqs[2].size()));
  Response b = http(s.port, "POST", "/v1/embeddings", R"({"input": ["the cat sat on the mat", "hello world", "a"], "encoding_format": "base64"})");
  Value bv = parse_json(b.body);
  for (size_t i = 0; i < 3; i++) {
    const std::string bytes = unbase64(bv.at("data").arr()[i].at("embedding").str());
    ASSERT_EQ(bytes.size(), d * sizeof(float));
    EXPECT_EQ(std::memcmp(bytes.data(), want.data() + i * d, bytes.size()), 0) << i;
  }
  // One string; the model in /v1/models; the refusals of this endpoint.
  EXPECT_EQ(parse_json(http(s.port, "POST", "/v1/embeddings", R"({"input": "hello world"})").body).at("data").arr().size(), 1u);
  EXPECT_NE(http(s.port, "GET", "/v1/models").body.find("\"bert-f32\""), std::string::npos);
  std::string words;
  for (int i = 0; i < 100; i++) words += "cat ";
  for (const auto& [body, status, param] : std::vector<std::tuple<std::string, int, std::string>>{
           {R"({})", 400, "input"},
           {R"({"input": ""})", 400, "input"},
           {R"({"input": ["a", ""]})", 400, "input[1]"},
           {R"({"input": ["a", " \t "]})", 400, "input[1]"},
           {R"({"input": []})", 400, "input"},
           {R"({"input": [1, 2, 3]})", 400, "input"},
           {R"({"input": "a", "encoding_format": "int8"})", 400, "encoding_format"},
           {R"({"input": "a", "dimensions": 32})", 400, "dimensions"},
           {R"({"input": "a", "model": "text-embedding-3-small"})", 404, "model"},
           {R"({"input": ["a", ")" + words + R"("]})", 400, "input[1]"},
       }) {
    Response e = http(s.port, "POST", "/v1/embeddings", body);
    EXPECT_EQ(e.status, status) << body << ": " << e.body;
    EXPECT_EQ(parse_json(e.body).at("error").at("param").str(), param) << e.body;
  }
  stop(s);
}

// ---- the bearer token

TEST(ServeApiKey, RequiredWhenSet) {
  if (access(cli_run::sotto_path().c_str(), X_OK) != 0) GTEST_SKIP() << "sotto binary not built";
  for (const bool from_env : {false, true}) {
    Server s = from_env ? start({}, {"SOTTO_API_KEY=sk-test-123"}) : start({"--api-key", "sk-test-123"});
    ASSERT_TRUE(s.error.empty()) << s.error;
    Response none = http(s.port, "GET", "/v1/models");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(parse_json(none.body).at("error").at("code").str(), "invalid_api_key");
    Response wrong = http(s.port, "GET", "/v1/models", "", "Authorization: Bearer sk-test-124\r\n");
    EXPECT_EQ(wrong.status, 401);
    Response body_unread = http(s.port, "POST", "/v1/completions", R"({"prompt": "x"})", "Authorization: Bearer nope\r\n");
    EXPECT_EQ(body_unread.status, 401);
    EXPECT_EQ(http(s.port, "GET", "/v1/models", "", "Authorization: Bearer sk-test-123\r\n").status, 200);
    EXPECT_EQ(http(s.port, "GET", "/").status, 200) << "the app needs no key";
    stop(s);
  }
}

// ---- hostile and malformed requests: one case each

struct Bad {
  const char* name;
  std::string method, path, body, headers;
  int status;
  const char* param;  // expected error.param, or nullptr for null
  const char* code;   // expected error.code, or nullptr for null
};

class ServeApiBad : public ServeApi, public ::testing::WithParamInterface<Bad> {};

TEST_P(ServeApiBad, OneLineOpenAiError) {
  const Bad& b = GetParam();
  const std::string headers = b.headers.empty() ? "Content-Type: application/json\r\n" : b.headers;
  Response r = http(server_.port, b.method, b.path, b.body, headers);
  EXPECT_EQ(r.status, b.status) << r.head << "\n" << r.body;
  EXPECT_TRUE(r.has_header("Content-Type: application/json")) << r.head;
  ASSERT_FALSE(r.body.empty());
  EXPECT_EQ(r.body.find('\n'), r.body.size() - 1) << "one line: " << r.body;
  Value e = parse_json(r.body).at("error");
  EXPECT_FALSE(e.at("message").str().empty());
  EXPECT_TRUE(e.at("type").is_string());
  if (b.param) {
    EXPECT_EQ(e.at("param").str(), b.param) << r.body;
  } else {
    EXPECT_TRUE(e.at("param").is_null()) << r.body;
  }
  if (b.code) {
    EXPECT_EQ(e.at("code").str(), b.code) << r.body;
  } else {
    EXPECT_TRUE(e.at("code").is_null()) << r.body;
  }
  // And the server goes on as before.
  EXPECT_EQ(http(server_.port, "GET", "/v1/models").status, 200);
}

namespace {

const std::string kMsgs = R"("messages": [{"role": "user", "content": "hi"}])";

std::vector<Bad> bad_cases() {
  const std::string deep = std::string(600, '[') + std::string(600, ']');
  std::string words;
  for (int i = 0; i < 3000; i++) words += "word ";
  const std::string long_prompt = chat_body(words, "");
  return {
      {"MalformedJson", "POST", "/v1/chat/completions", "{\"messages\": [", "", 400, nullptr, nullptr},
      {"NotAnObject", "POST", "/v1/chat/completions", "[1, 2]", "", 400, nullptr, nullptr},
      {"EmptyBody", "POST", "/v1/chat/completions", "", "", 400, nullptr, nullptr},
      {"DeepNesting", "POST", "/v1/chat/completions", deep, "", 400, nullptr, nullptr},
      {"InvalidUtf8", "POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"\xff\xfe\"}]}", "", 400, nullptr, nullptr},
      {"InvalidUtf8OutsideStrings", "POST", "/v1/chat/completions", "{\"messages\": \xa4\x84\xdd}", "", 400, nullptr, nullptr},  // fuzz-api's find: the parse error quotes the bytes
      {"MissingMessages", "POST", "/v1/chat/completions", "{}", "", 400, "messages", nullptr},
      {"EmptyMessages", "POST", "/v1/chat/completions", R"({"messages": []})", "", 400, "messages", nullptr},
      {"UnknownRole", "POST", "/v1/chat/completions", R"({"messages": [{"role": "wizard", "content": "x"}]})", "", 400, "messages[0].role", nullptr},
      {"ContentNotText", "POST", "/v1/chat/completions", R"({"messages": [{"role": "user", "content": 5}]})", "", 400, "messages[0].content", nullptr},
      {"ImagePart", "POST", "/v1/chat/completions", R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]})", "", 400, "messages[0].content[0].type", nullptr},
      {"UnknownModel", "POST", "/v1/chat/completions", "{\"model\": \"gpt-4o\", " + kMsgs + "}", "", 404, "model", "model_not_found"},
      {"ModelNotString", "POST", "/v1/chat/completions", "{\"model\": 3, " + kMsgs + "}", "", 400, "model", nullptr},
      {"TemperatureTooHigh", "POST", "/v1/chat/completions", "{\"temperature\": 9, " + kMsgs + "}", "", 400, "temperature", nullptr},
      {"TopPNotNumber", "POST", "/v1/chat/completions", "{\"top_p\": \"high\", " + kMsgs + "}", "", 400, "top_p", nullptr},
      {"TopPZero", "POST", "/v1/chat/completions", "{\"top_p\": 0, " + kMsgs + "}", "", 400, nullptr, nullptr},
      {"MaxTokensZero", "POST", "/v1/chat/completions", "{\"max_tokens\": 0, " + kMsgs + "}", "", 400, "max_tokens", nullptr},
      {"MaxTokensFraction", "POST", "/v1/chat/completions", "{\"max_tokens\": 2.5, " + kMsgs + "}", "", 400, "max_tokens", nullptr},
      {"SeedNotInteger", "POST", "/v1/chat/completions", "{\"seed\": \"x\", " + kMsgs + "}", "", 400, "seed", nullptr},
      {"FiveStops", "POST", "/v1/chat/completions", "{\"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"], " + kMsgs + "}", "", 400, "stop", nullptr},
      {"TwoChoices", "POST", "/v1/chat/completions", "{\"n\": 2, " + kMsgs + "}", "", 400, "n", nullptr},
      {"ToolWithoutFunction", "POST", "/v1/chat/completions", "{\"tools\": [{\"type\": \"function\"}], " + kMsgs + "}", "", 400, "tools[0].function", nullptr},
      {"ToolNotFunction", "POST", "/v1/chat/completions", "{\"tools\": [{\"type\": \"retrieval\"}], " + kMsgs + "}", "", 400, "tools[0].type", nullptr},
      {"ToolBadName", "POST", "/v1/chat/completions", "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"a b\"}}], " + kMsgs + "}", "", 400, "tools[0].function.name", nullptr},
      {"ToolTwice", "POST", "/v1/chat/completions", "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}, {\"type\": \"function\", \"function\": {\"name\": \"f\"}}], " + kMsgs + "}", "", 400, "tools[1].function.name", nullptr},
      {"ToolBadParameters", "POST", "/v1/chat/completions", "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\", \"patternProperties\": {}}}}], " + kMsgs + "}", "", 400, "tools[0].function.parameters", nullptr},
      {"ToolChoiceUnknown", "POST", "/v1/chat/completions", "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}], \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"g\"}}, " + kMsgs + "}", "", 400, "tool_choice.function.name", nullptr},
      {"ToolChoiceWithoutTools", "POST", "/v1/chat/completions", "{\"tool_choice\": \"required\", " + kMsgs + "}", "", 400, "tool_choice", nullptr},
      {"ToolsAndSchema", "POST", "/v1/chat/completions", "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}], \"response_format\": {\"type\": \"json_object\"}, " + kMsgs + "}", "", 400, "response_format", nullptr},
      {"CallArgumentsNotJson", "POST", "/v1/chat/completions", R"({"messages": [{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]})", "", 400, "messages[0].tool_calls[0].function.arguments", nullptr},
      {"ToolsOnCompletions", "POST", "/v1/completions", R"({"prompt": "a", "tools": [{"type": "function"}]})", "", 400, "tools", nullptr},
      {"StreamNotBool", "POST", "/v1/chat/completions", "{\"stream\": \"yes\", " + kMsgs + "}", "", 400, "stream", nullptr},
      {"FormatUnknown", "POST", "/v1/chat/completions", "{\"response_format\": {\"type\": \"xml\"}, " + kMsgs + "}", "", 400, "response_format.type", nullptr},
      {"SchemaMissing", "POST", "/v1/chat/completions", "{\"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"x\"}}, " + kMsgs + "}", "", 400, "response_format.json_schema.schema", nullptr},
      {"SchemaUnsupported", "POST", "/v1/chat/completions", "{\"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"schema\": {\"type\": \"array\", \"uniqueItems\": true}}}, " + kMsgs + "}", "", 400, "response_format.json_schema.schema", nullptr},
      {"SchemaBadRef", "POST", "/v1/chat/completions", "{\"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"schema\": {\"$ref\": \"#/$defs/nope\"}}}, " + kMsgs + "}", "", 400, "response_format.json_schema.schema", nullptr},
      {"PromptTooLong", "POST", "/v1/chat/completions", long_prompt, "", 400, "messages", "context_length_exceeded"},
      {"BodyTooLarge", "POST", "/v1/chat/completions", std::string(2 << 20, ' '), "", 413, nullptr, nullptr},
      {"FormBody", "POST", "/v1/chat/completions", std::string(9000, 'a'), "Content-Type: application/x-www-form-urlencoded\r\n", 413, nullptr, nullptr},
      {"CompletionEmptyPrompt", "POST", "/v1/completions", R"({"prompt": ""})", "", 400, "prompt", nullptr},
      {"CompletionTwoPrompts", "POST", "/v1/completions", R"({"prompt": ["a", "b"]})", "", 400, "prompt", nullptr},
      {"CompletionEcho", "POST", "/v1/completions", R"({"prompt": "a", "echo": true})", "", 400, "echo", nullptr},
      {"AudioNotMultipart", "POST", "/v1/audio/transcriptions", "{}", "", 400, "file", nullptr},
      {"AudioNoFile", "POST", "/v1/audio/transcriptions", multipart({{"model", "", "x"}}).first, multipart({}).second, 400, "file", nullptr},
      {"AudioNotWav", "POST", "/v1/audio/transcriptions", multipart({{"file", "a.mp3", "ID3\x03junk"}}).first, multipart({}).second, 400, "file", nullptr},
      {"AudioTruncatedHeader", "POST", "/v1/audio/transcriptions", multipart({{"file", "a.wav", "RIFF\x10\0\0\0WAVEfmt "}}).first, multipart({}).second, 400, "file", nullptr},
      {"AudioUnknownModel", "POST", "/v1/audio/transcriptions", multipart({{"file", "a.wav", "RIFF"}, {"model", "", "whisper-1"}}).first, multipart({}).second, 404, "model", "model_not_found"},
      {"AudioLanguage", "POST", "/v1/audio/transcriptions", multipart({{"file", "a.wav", "RIFF"}, {"language", "", "fr"}}).first, multipart({}).second, 400, "language", nullptr},
      {"AudioFormat", "POST", "/v1/audio/transcriptions", multipart({{"file", "a.wav", "RIFF"}, {"response_format", "", "mp3"}}).first, multipart({}).second, 400, "response_format", nullptr},
      {"AudioTooLarge", "POST", "/v1/audio/transcriptions", std::string(26 << 20, 'x'), multipart({}).second, 413, nullptr, nullptr},
      {"UnknownEndpoint", "POST", "/v1/images/generations", R"({"prompt": "a"})", "", 404, nullptr, nullptr},
      {"EmbeddingsWithoutModel", "POST", "/v1/embeddings", R"({"input": "a"})", "", 404, "model", "model_not_found"},
      {"GetCompletions", "GET", "/v1/chat/completions", "", "", 405, nullptr, nullptr},
      {"PostModels", "POST", "/v1/models", "{}", "", 405, nullptr, nullptr},
      {"OtherOrigin", "POST", "/v1/chat/completions", "{" + kMsgs + "}", "Content-Type: application/json\r\nOrigin: http://evil.example\r\n", 403, nullptr, nullptr},
  };
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Cases, ServeApiBad, ::testing::ValuesIn(bad_cases()),
                         [](const ::testing::TestParamInfo<Bad>& i) { return std::string(i.param.name); });
