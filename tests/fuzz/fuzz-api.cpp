// fuzz-api.cpp — libFuzzer target: the request bodies of `sotto serve --api` (apps/cli/api-request.cpp) on arbitrary
// bytes. The first byte picks the endpoint (modulo 3: 0 /v1/chat/completions, 1 /v1/completions, 2 /v1/embeddings); the
// rest is the body. Embeddings: 1..2048 inputs, none empty; base64() of the body has the length RFC 4648 gives.
// Properties: a body is either refused with an ApiError (status 400, a message, and an error_json() that parses
// as one line of JSON with error.message a string) or taken with every field in its documented range: chat has
// messages with roles system/user/assistant, completions a non-empty prompt; max_tokens -1 or at least 1; at
// most 4 stops; temperature in [0, 2], top_p and min_p in [0, 1]; a schema is JSON text that parses; tools with
// valid, distinct names, a tool_choice of none/auto/required or one of them, their call schema (api-tools.h) JSON
// that parses and offer_tools() a system turn first; read_call() on the body itself finds a call only to a known
// tool, with arguments that parse. No other exception escapes.
#include <string>

#include "api-request.h"
#include "api-tools.h"
#include "core/error.h"
#include "core/json.h"
#include "fuzz.h"

using namespace sotto;
using namespace sotto::cli;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 3 == 2) {
    FUZZ_CHECK(base64(body.data(), body.size()).size() == (body.size() + 2) / 3 * 4);
    try {
      const EmbeddingRequest e = parse_embedding_request(body);
      FUZZ_CHECK(!e.input.empty() && e.input.size() <= 2048);
      for (const auto& t : e.input) FUZZ_CHECK(!t.empty());
      FUZZ_CHECK(e.dimensions >= 0);
    } catch (const ApiError& x) {
      FUZZ_CHECK(x.status == 400);
      json::parse(error_json(x), "error_json");  // throws (a finding) if not JSON
    }
    return 0;
  }
  const bool chat = data[0] % 3 == 0;
  ApiRequest r;
  try {
    r = chat ? parse_chat_request(body) : parse_completion_request(body);
  } catch (const ApiError& e) {
    FUZZ_CHECK(e.status == 400);
    FUZZ_CHECK(std::string(e.what()).size() > 0);
    const std::string j = error_json(e);
    FUZZ_CHECK(j.find('\n') == std::string::npos);
    json::Value v;
    try {
      v = json::parse(j, "error_json");
    } catch (const Error& x) {
      std::fprintf(stderr, "error_json wrote what parse() refuses: %s\n", x.what());
      FUZZ_CHECK(false);
    }
    FUZZ_CHECK(v.at("error").at("message").is_string());
    return 0;
  }
  FUZZ_CHECK(r.chat == chat);
  if (chat) {
    FUZZ_CHECK(!r.messages.empty());
    for (const auto& m : r.messages) FUZZ_CHECK(m.role == "system" || m.role == "user" || m.role == "assistant");
  } else {
    FUZZ_CHECK(!r.prompt.empty());
    FUZZ_CHECK(r.schema.empty());
  }
  FUZZ_CHECK(r.max_tokens == -1 || r.max_tokens >= 1);
  FUZZ_CHECK(r.stop.size() <= 4);
  FUZZ_CHECK(r.sampling.temperature >= 0 && r.sampling.temperature <= 2);
  FUZZ_CHECK(r.sampling.top_p >= 0 && r.sampling.top_p <= 1);
  FUZZ_CHECK(r.sampling.min_p >= 0 && r.sampling.min_p <= 1);
  if (!r.tools.empty()) {
    FUZZ_CHECK(r.tool_choice == "auto" || r.tool_choice == "required" || !callable_tools(r).empty());
    const std::vector<ApiTool> tools = callable_tools(r);
    FUZZ_CHECK(!tools.empty());
    try {
      json::parse(call_schema(tools), "call schema");
    } catch (const Error&) {
      FUZZ_CHECK(false);
    }
    std::vector<ChatMessage> msgs = r.messages;
    offer_tools(msgs, tools, r.tool_choice != "auto");
    FUZZ_CHECK(msgs.size() >= r.messages.size() && msgs[0].role == "system");
    if (const auto call = read_call(std::string(body), tools)) {
      bool known = false;
      for (const ApiTool& t : tools) known = known || t.name == call->name;
      FUZZ_CHECK(known);
      try {
        FUZZ_CHECK(json::parse(call->arguments, "arguments").is_object());
      } catch (const Error&) {
        FUZZ_CHECK(false);
      }
    }
  } else {
    FUZZ_CHECK(r.tool_choice.empty() || r.tool_choice == "none");
  }
  if (!r.schema.empty()) {
    try {
      json::parse(r.schema, "schema");
    } catch (const Error&) {
      FUZZ_CHECK(false);
    }
  }
  return 0;
}
