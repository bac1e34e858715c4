// api-request.h — OpenAI's request and error shapes for `sotto serve --api`, with no model and no socket: the
// JSON body of POST /v1/chat/completions or /v1/completions -> ApiRequest (every field checked, each mistake an
// ApiError naming the parameter), and the one-line error body {"error": {"message", "type", "param", "code"}}.
// Fields read: model, messages (roles system, developer (as system), user, assistant; content a string or an
// array of {"type": "text"} parts) or prompt (a string, or an array of one string), max_tokens (or
// max_completion_tokens), temperature, top_p, seed, stop (a string or up to 4), stream, stream_options.include_usage,
// response_format ({"type": "text" | "json_object" | "json_schema", "json_schema": {"schema": ...}}), n (1 only),
// presence_penalty, frequency_penalty, llama.cpp's top_k, min_p, repeat_penalty, cache_prompt, and tools / tool_choice (functions
// with a JSON Schema of their parameters; messages of role tool and assistant messages with tool_calls then too). Unset sampling fields take
// `sotto generate`'s defaults (runtime/sampler.h: SamplerParams), so a request and a command line with the same
// values sample the same tokens. Other fields are ignored, except those that would change the answer and are not
// supported (functions, logprobs, n > 1, echo, suffix, best_of > 1, image parts): those are refused.
// Does not: check the sampling values' ranges beyond OpenAI's (make_chain does), compile the schema, tokenize.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/sampler.h"
#include "text/tokenizer.h"

namespace sotto::cli {

// A request the API refuses: HTTP status, OpenAI's error type ("invalid_request_error", ...), the parameter at
// fault ("" for none) and a code ("" for none: "model_not_found", "context_length_exceeded", "invalid_api_key").
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message, std::string param = "", std::string code = "",
           std::string type = "invalid_request_error")
      : std::runtime_error(message), status(status), param(std::move(param)), code(std::move(code)),
        type(std::move(type)) {}
  int status;
  std::string param, code, type;
};

// A function the model may call: its name ([A-Za-z0-9_-], 1..64), description, and parameters' JSON Schema (as JSON
// text; {"type": "object", "properties": {}} when not given).
struct ApiTool {
  std::string name, description, parameters;
};

struct ApiRequest {
  bool chat = true;                    // /v1/chat/completions (else /v1/completions)
  std::string model;                   // "" when the request names none
  std::vector<ChatMessage> messages;   // chat
  std::string prompt;                  // completions
  SamplerParams sampling;
  bool seed_set = false;
  int max_tokens = -1;                 // -1: until the end of generation or a full context
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;          // stream_options.include_usage
  bool cache_prompt = true;            // llama.cpp's field: false = no KV cache reuse, the whole prompt prefilled
  std::string schema;                  // response_format's JSON Schema as JSON text; "" for none
  std::vector<ApiTool> tools;          // chat: functions the model may call
  // "none" (the tools are not offered), "auto" (prose or a call: the default with tools), "required" (a call), or
  // the name of the one function to call.
  std::string tool_choice;
};

// Parse and check a body; throws ApiError (status 400) on malformed JSON or a bad field.
ApiRequest parse_chat_request(std::string_view body);
ApiRequest parse_completion_request(std::string_view body);

// POST /v1/embeddings: model, input (a string or an array of 1..2048 strings, none empty; token arrays are
// refused), encoding_format (float or base64), dimensions (the server checks it against the model's).
struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> input;
  bool base64 = false;
  int dimensions = 0;  // 0: not given
};
EmbeddingRequest parse_embedding_request(std::string_view body);

// Standard base64 (RFC 4648, with padding) of bytes: embeddings' encoding_format "base64" (float32, little-endian).
std::string base64(const void* data, size_t n);

// s with every invalid UTF-8 sequence (overlongs and surrogates included) replaced by U+FFFD: a model may emit stray
// bytes, a JSON parse error may quote them, and JSON text must be UTF-8.
std::string valid_utf8(std::string_view s);

// {"error": {"message": ..., "type": ..., "param": ... | null, "code": ... | null}}, one line, no newline.
std::string error_json(const std::string& message, const std::string& type = "invalid_request_error",
                       const std::string& param = "", const std::string& code = "");
inline std::string error_json(const ApiError& e) { return error_json(e.what(), e.type, e.param, e.code); }

}  // namespace sotto::cli
