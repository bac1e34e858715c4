// api-tools.h — function calling for `sotto serve --api`, with no model and no socket: how the tools of a chat request
// are offered to the model (a system turn listing them, and the form of a call), the JSON Schema of a call (one
// {"name": const, "arguments": the function's parameters} object per tool, oneOf on the name), which the grammar
// engine enforces, and reading a call back from the model's text. The model writes one call as one JSON object;
// tool_choice "auto" lets it answer in prose instead (runtime/grammar-sampler.h: TriggeredGrammarSampler, on '{').
// Does not: compile the schema, sample, or run the functions (the client does).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api-request.h"

namespace sotto::cli {

// The tools a request may call under its tool_choice ("auto", "required" or one name): all of them, or the named one.
std::vector<ApiTool> callable_tools(const ApiRequest& r);

// Puts the tools' system text first (merged into a leading system message when there is one).
void offer_tools(std::vector<ChatMessage>& messages, const std::vector<ApiTool>& tools, bool required);

// {"oneOf": [{"type": "object", "properties": {"name": {"const": N}, "arguments": P}, "required": [...],
// "additionalProperties": false}, ...]} (no oneOf for one tool), as JSON text.
std::string call_schema(const std::vector<ApiTool>& tools);

struct ToolCall {
  std::string name;
  std::string arguments;  // compact JSON text, as OpenAI sends it
};

// The call in the model's text (leading whitespace aside): a JSON object {"name": one of the tools, "arguments": an
// object}, nothing after it but whitespace; nullopt otherwise (prose, or a call cut short).
std::optional<ToolCall> read_call(const std::string& text, const std::vector<ApiTool>& tools);

}  // namespace sotto::cli
