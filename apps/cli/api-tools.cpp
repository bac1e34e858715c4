// api-tools.cpp — see api-tools.h.
#include "api-tools.h"

#include "core/error.h"
#include "core/json.h"

namespace sotto::cli {

using json::Value;

std::vector<ApiTool> callable_tools(const ApiRequest& r) {
  if (r.tool_choice == "auto" || r.tool_choice == "required" || r.tool_choice == "none") return r.tools;
  for (const ApiTool& t : r.tools) {
    if (t.name == r.tool_choice) return {t};
  }
  return {};
}

void offer_tools(std::vector<ChatMessage>& messages, const std::vector<ApiTool>& tools, bool required) {
  Value list = Value::array();
  for (const ApiTool& t : tools) {
    Value f = Value::object();
    f.set("name", t.name);
    if (!t.description.empty()) f.set("description", t.description);
    f.set("parameters", json::parse(t.parameters, "parameters"));
    list.push_back(std::move(f));
  }
  std::string text = "You can call these functions:\n" + json::dump(list) + "\n";
  text += required ? "Reply with only a JSON object that calls one of them: "
                   : "To call one, reply with only a JSON object: ";
  text += R"({"name": "<the function's name>", "arguments": {<its arguments>}})";
  if (!messages.empty() && messages[0].role == "system") {
    messages[0].content = text + "\n\n" + messages[0].content;
  } else {
    messages.insert(messages.begin(), ChatMessage{"system", text});
  }
}

std::string call_schema(const std::vector<ApiTool>& tools) {
  Value branches = Value::array();
  for (const ApiTool& t : tools) {
    Value name = Value::object();
    name.set("const", t.name);
    Value props = Value::object();
    props.set("name", std::move(name));
    props.set("arguments", json::parse(t.parameters, "parameters"));
    Value required = Value::array();
    required.push_back("name");
    required.push_back("arguments");
    Value b = Value::object();
    b.set("type", "object");
    b.set("properties", std::move(props));
    b.set("required", std::move(required));
    b.set("additionalProperties", false);
    branches.push_back(std::move(b));
  }
  if (branches.arr().size() == 1) return json::dump(branches.arr()[0]);
  Value s = Value::object();
  s.set("oneOf", std::move(branches));
  return json::dump(s);
}

std::optional<ToolCall> read_call(const std::string& text, const std::vector<ApiTool>& tools) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{') return std::nullopt;
  Value v;
  try {
    v = json::parse(text, "call");  // leading and trailing whitespace are JSON's
  } catch (const Error&) {
    return std::nullopt;
  }
  const Value* name = v.find("name");
  const Value* args = v.find("arguments");
  if (!name || !name->is_string() || !args || !args->is_object()) return std::nullopt;
  for (const ApiTool& t : tools) {
    if (t.name == name->str()) return ToolCall{t.name, json::dump(*args)};
  }
  return std::nullopt;
}

}  // namespace sotto::cli
