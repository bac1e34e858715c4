// api-request.cpp — see api-request.h.
#include "api-request.h"

#include <cctype>
#include <cmath>

#include "core/error.h"
#include "core/json.h"

namespace sotto::cli {

namespace {

using json::Kind;
using json::kind_name;
using json::Value;

[[noreturn]] void bad(const std::string& param, const std::string& why) {
  throw ApiError(400, "'" + param + "' " + why, param);
}

void expect(const Value& v, Kind k, const std::string& param) {
  if (v.kind() != k) bad(param, std::string("must be ") + kind_name(k) + ", not " + kind_name(v.kind()));
}

// The field when present and not null (OpenAI's clients send null for "unset").
const Value* field(const Value& obj, const char* key) {
  const Value* v = obj.find(key);
  return v && !v->is_null() ? v : nullptr;
}

double number_in(const Value& v, const std::string& param, double lo, double hi) {
  expect(v, Kind::Number, param);
  const double x = v.number();
  if (!(x >= lo && x <= hi)) {
    char b[128];
    std::snprintf(b, sizeof b, "must be in [%g, %g], got %g", lo, hi, x);
    bad(param, b);
  }
  return x;
}

int64_t integer(const Value& v, const std::string& param) {
  expect(v, Kind::Number, param);
  const double d = v.number();
  if (!v.is_integer_number() && !(std::floor(d) == d && std::fabs(d) < 9.0e15)) bad(param, "must be an integer");
  return v.integer();
}

// A message's content: a string, or an array of {"type": "text", "text": ...} parts (joined).
std::string content_text(const Value& c, const std::string& param) {
  if (c.is_string()) return c.str();
  if (!c.is_array()) bad(param, std::string("must be a string or an array of text parts, not ") + kind_name(c.kind()));
  std::string s;
  for (size_t i = 0; i < c.arr().size(); i++) {
    const Value& part = c.arr()[i];
    const std::string p = param + "[" + std::to_string(i) + "]";
    expect(part, Kind::Object, p);
    const Value* type = part.find("type");
    if (!type || !type->is_string()) bad(p + ".type", "must be a string");
    if (type->str() != "text") bad(p + ".type", "'" + type->str() + "' is not supported (text parts only)");
    const Value* text = part.find("text");
    if (!text) bad(p + ".text", "is missing");
    expect(*text, Kind::String, p + ".text");
    s += text->str();
  }
  return s;
}

Value parse_body(std::string_view body) {
  if (body.empty()) throw ApiError(400, "the request body is empty: send a JSON object");
  Value v;
  try {
    v = json::parse(body, "body");
  } catch (const Error& e) {
    throw ApiError(400, std::string("the request body is not valid JSON: ") + e.what());
  }
  if (!v.is_object()) throw ApiError(400, std::string("the request body must be a JSON object, not ") + kind_name(v.kind()));
  return v;
}

// What both endpoints share: model, sampling, max_tokens, stop, stream, n, and the refused fields.
void parse_common(const Value& v, ApiRequest& r) {
  if (const Value* m = field(v, "model")) {
    expect(*m, Kind::String, "model");
    r.model = m->str();
  }
  SamplerParams& sp = r.sampling;
  if (const Value* x = field(v, "temperature")) sp.temperature = float(number_in(*x, "temperature", 0, 2));
  if (const Value* x = field(v, "top_p")) sp.top_p = float(number_in(*x, "top_p", 0, 1));
  if (const Value* x = field(v, "top_k")) sp.top_k = int(number_in(*x, "top_k", 0, 1 << 30));
  if (const Value* x = field(v, "min_p")) sp.min_p = float(number_in(*x, "min_p", 0, 1));
  if (const Value* x = field(v, "presence_penalty")) sp.presence_penalty = float(number_in(*x, "presence_penalty", -2, 2));
  if (const Value* x = field(v, "frequency_penalty")) sp.frequency_penalty = float(number_in(*x, "frequency_penalty", -2, 2));
  if (const Value* x = field(v, "repeat_penalty")) sp.repeat_penalty = float(number_in(*x, "repeat_penalty", 0, 10));
  if (const Value* x = field(v, "seed")) {
    sp.seed = uint64_t(integer(*x, "seed"));
    r.seed_set = true;
  }
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (const Value* x = field(v, key)) {
      const int64_t n = integer(*x, key);
      if (n < 1 || n > (1 << 30)) bad(key, "must be at least 1, got " + std::to_string(n));
      r.max_tokens = int(n);
    }
  }
  if (const Value* s = field(v, "stop")) {
    if (s->is_string()) {
      r.stop.push_back(s->str());
    } else {
      expect(*s, Kind::Array, "stop");
      if (s->arr().size() > 4) bad("stop", "holds at most 4 strings");
      for (size_t i = 0; i < s->arr().size(); i++) {
        expect(s->arr()[i], Kind::String, "stop[" + std::to_string(i) + "]");
        r.stop.push_back(s->arr()[i].str());
      }
    }
  }
  if (const Value* s = field(v, "stream")) {
    expect(*s, Kind::Bool, "stream");
    r.stream = s->boolean();
  }
  if (const Value* c = field(v, "cache_prompt")) {  // llama.cpp's server: false = prefill the whole prompt
    expect(*c, Kind::Bool, "cache_prompt");
    r.cache_prompt = c->boolean();
  }
  if (const Value* o = field(v, "stream_options")) {
    expect(*o, Kind::Object, "stream_options");
    if (const Value* u = field(*o, "include_usage")) {
      expect(*u, Kind::Bool, "stream_options.include_usage");
      r.include_usage = u->boolean();
    }
  }
  if (const Value* n = field(v, "n"); n && integer(*n, "n") != 1) bad("n", "must be 1 (one choice per request)");
  if (const Value* n = field(v, "best_of"); n && integer(*n, "best_of") != 1) bad("best_of", "must be 1");
  if (const Value* l = field(v, "logprobs"); l && !(l->is_bool() && !l->boolean()) && !(l->is_number() && l->number() == 0)) {
    bad("logprobs", "is not supported yet");
  }
  if (const Value* t = field(v, "functions"); t && !(t->is_array() && t->arr().empty())) {
    bad("functions", "are the old form: send 'tools'");
  }
}

bool valid_tool_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

void parse_tools(const Value& v, ApiRequest& r) {
  if (const Value* ts = field(v, "tools")) {
    expect(*ts, Kind::Array, "tools");
    if (ts->arr().size() > 128) bad("tools", "holds at most 128 functions");
    for (size_t i = 0; i < ts->arr().size(); i++) {
      const std::string p = "tools[" + std::to_string(i) + "]";
      const Value& t = ts->arr()[i];
      expect(t, Kind::Object, p);
      const Value* type = t.find("type");
      if (!type || !type->is_string() || type->str() != "function") bad(p + ".type", "must be \"function\"");
      const Value* f = t.find("function");
      if (!f) bad(p + ".function", "is missing");
      expect(*f, Kind::Object, p + ".function");
      ApiTool tool;
      const Value* name = f->find("name");
      if (!name) bad(p + ".function.name", "is missing");
      expect(*name, Kind::String, p + ".function.name");
      tool.name = name->str();
      if (!valid_tool_name(tool.name)) bad(p + ".function.name", "must be 1 to 64 of a-z, A-Z, 0-9, _ and -");
      for (const ApiTool& other : r.tools) {
        if (other.name == tool.name) bad(p + ".function.name", "'" + tool.name + "' is given twice");
      }
      if (const Value* d = field(*f, "description")) {
        expect(*d, Kind::String, p + ".function.description");
        tool.description = d->str();
      }
      if (const Value* params = field(*f, "parameters")) {
        expect(*params, Kind::Object, p + ".function.parameters");
        tool.parameters = json::dump(*params);
      } else {
        tool.parameters = R"({"type": "object", "properties": {}})";
      }
      r.tools.push_back(std::move(tool));
    }
  }
  if (const Value* c = field(v, "tool_choice")) {
    if (c->is_string()) {
      r.tool_choice = c->str();
      if (r.tool_choice != "none" && r.tool_choice != "auto" && r.tool_choice != "required") {
        bad("tool_choice", "must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}");
      }
    } else {
      expect(*c, Kind::Object, "tool_choice");
      const Value* f = c->find("function");
      const Value* name = f && f->is_object() ? f->find("name") : nullptr;
      if (!name || !name->is_string()) bad("tool_choice.function.name", "is missing");
      r.tool_choice = name->str();
      bool known = false;
      for (const ApiTool& t : r.tools) known = known || t.name == r.tool_choice;
      if (!known) bad("tool_choice.function.name", "'" + r.tool_choice + "' is not one of the tools");
    }
    if (r.tools.empty() && r.tool_choice != "none") bad("tool_choice", "needs tools");
  }
  if (!r.tools.empty() && r.tool_choice.empty()) r.tool_choice = "auto";
  if (r.tool_choice == "none") r.tools.clear();
  if (!r.tools.empty() && !r.schema.empty()) bad("response_format", "and tools exclude each other (a call is JSON already)");
}

// An assistant message's earlier calls, as the model writes a call: {"name": ..., "arguments": {...}} a line each.
std::string calls_text(const Value& calls, const std::string& p) {
  expect(calls, Kind::Array, p);
  std::string s;
  for (size_t i = 0; i < calls.arr().size(); i++) {
    const std::string q = p + "[" + std::to_string(i) + "]";
    const Value& c = calls.arr()[i];
    expect(c, Kind::Object, q);
    const Value* f = c.find("function");
    if (!f) bad(q + ".function", "is missing");
    expect(*f, Kind::Object, q + ".function");
    const Value* name = f->find("name");
    if (!name) bad(q + ".function.name", "is missing");
    expect(*name, Kind::String, q + ".function.name");
    const Value* args = f->find("arguments");
    Value parsed = Value::object();
    if (args) {
      expect(*args, Kind::String, q + ".function.arguments");
      try {
        parsed = json::parse(args->str(), "arguments");
      } catch (const Error& e) {
        bad(q + ".function.arguments", std::string("is not JSON: ") + e.what());
      }
    }
    Value call = Value::object();
    call.set("name", name->str());
    call.set("arguments", std::move(parsed));
    s += (s.empty() ? "" : "\n") + json::dump(call);
  }
  return s;
}

}  // namespace

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t n = b < 0x80 ? 1 : b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xF0 && b < 0xF5 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; k++) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && n == 3) {  // no overlongs, no surrogates
      const auto c = static_cast<unsigned char>(s[i + 1]);
      ok = !(b == 0xE0 && c < 0xA0) && !(b == 0xED && c >= 0xA0);
    }
    if (ok && n == 4) {
      const auto c = static_cast<unsigned char>(s[i + 1]);
      ok = !(b == 0xF0 && c < 0x90) && !(b == 0xF4 && c >= 0x90);
    }
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      i++;
    }
  }
  return out;
}

std::string error_json(const std::string& message, const std::string& type, const std::string& param,
                       const std::string& code) {
  Value e = Value::object();
  e.set("message", valid_utf8(message));  // a parse error may quote the body's bad bytes
  e.set("type", type);
  e.set("param", param.empty() ? Value() : Value(param));
  e.set("code", code.empty() ? Value() : Value(code));
  Value v = Value::object();
  v.set("error", std::move(e));
  return json::dump(v);
}

ApiRequest parse_chat_request(std::string_view body) {
  const Value v = parse_body(body);
  ApiRequest r;
  r.chat = true;
  parse_common(v, r);
  const Value* msgs = v.find("messages");
  if (!msgs) bad("messages", "is missing");
  expect(*msgs, Kind::Array, "messages");
  if (msgs->arr().empty()) bad("messages", "is empty");
  for (size_t i = 0; i < msgs->arr().size(); i++) {
    const Value& m = msgs->arr()[i];
    const std::string p = "messages[" + std::to_string(i) + "]";
    expect(m, Kind::Object, p);
    const Value* role = m.find("role");
    if (!role) bad(p + ".role", "is missing");
    expect(*role, Kind::String, p + ".role");
    std::string r_name = role->str();
    if (r_name == "developer") r_name = "system";
    if (r_name != "system" && r_name != "user" && r_name != "assistant" && r_name != "tool") {
      bad(p + ".role", "'" + role->str() + "' is not supported (system, developer, user, assistant, tool)");
    }
    const Value* content = field(m, "content");
    const Value* tc = r_name == "assistant" ? field(m, "tool_calls") : nullptr;
    if (tc && !(tc->is_array() && tc->arr().empty())) {  // a call the model made: in the form it writes one
      const std::string text = content ? content_text(*content, p + ".content") : "";
      r.messages.push_back({"assistant", (text.empty() ? "" : text + "\n") + calls_text(*tc, p + ".tool_calls")});
      continue;
    }
    if (!content) bad(p + ".content", "is missing");
    if (r_name == "tool") {  // a function's result, as a user turn (the templates here have no tool role)
      r.messages.push_back({"user", "<tool_response>\n" + content_text(*content, p + ".content") + "\n</tool_response>"});
      continue;
    }
    r.messages.push_back({r_name, content_text(*content, p + ".content")});
  }
  if (const Value* f = field(v, "response_format")) {
    expect(*f, Kind::Object, "response_format");
    const Value* type = f->find("type");
    if (!type || !type->is_string()) bad("response_format.type", "must be a string");
    if (type->str() == "json_schema") {
      const Value* js = f->find("json_schema");
      if (!js) bad("response_format.json_schema", "is missing");
      expect(*js, Kind::Object, "response_format.json_schema");
      const Value* schema = js->find("schema");
      if (!schema) bad("response_format.json_schema.schema", "is missing");
      if (!schema->is_object() && !schema->is_bool()) bad("response_format.json_schema.schema", "must be an object");
      r.schema = json::dump(*schema);
    } else if (type->str() == "json_object") {
      r.schema = R"({"type": "object", "additionalProperties": true})";
    } else if (type->str() != "text") {
      bad("response_format.type", "'" + type->str() + "' is not one of text, json_object, json_schema");
    }
  }
  parse_tools(v, r);
  return r;
}

ApiRequest parse_completion_request(std::string_view body) {
  const Value v = parse_body(body);
  ApiRequest r;
  r.chat = false;
  r.max_tokens = 16;  // OpenAI's default for completions
  parse_common(v, r);
  const Value* p = v.find("prompt");
  if (!p) bad("prompt", "is missing");
  if (p->is_array()) {
    if (p->arr().size() != 1) bad("prompt", "must be a string or an array of one string (one prompt per request)");
    expect(p->arr()[0], Kind::String, "prompt[0]");
    r.prompt = p->arr()[0].str();
  } else {
    expect(*p, Kind::String, "prompt");
    r.prompt = p->str();
  }
  if (r.prompt.empty()) bad("prompt", "is empty");
  if (const Value* e = field(v, "echo"); e && e->is_bool() && e->boolean()) bad("echo", "is not supported yet");
  if (const Value* s = field(v, "suffix"); s && !(s->is_string() && s->str().empty())) bad("suffix", "is not supported");
  if (field(v, "response_format")) bad("response_format", "is for /v1/chat/completions");
  if (const Value* t = field(v, "tools"); t && !(t->is_array() && t->arr().empty())) bad("tools", "are for /v1/chat/completions");
  return r;
}

EmbeddingRequest parse_embedding_request(std::string_view body) {
  const Value v = parse_body(body);
  EmbeddingRequest r;
  if (const Value* m = field(v, "model")) {
    expect(*m, Kind::String, "model");
    r.model = m->str();
  }
  const Value* in = v.find("input");
  if (!in) bad("input", "is missing");
  if (in->is_string()) {
    r.input.push_back(in->str());
  } else {
    expect(*in, Kind::Array, "input");
    if (in->arr().empty() || in->arr().size() > 2048) bad("input", "must hold 1 to 2048 strings");
    for (size_t i = 0; i < in->arr().size(); i++) {
      const Value& x = in->arr()[i];
      if (x.is_number() || x.is_array()) bad("input", "token arrays are not supported: send text");
      expect(x, Kind::String, "input[" + std::to_string(i) + "]");
      r.input.push_back(x.str());
    }
  }
  for (size_t i = 0; i < r.input.size(); i++) {
    if (r.input[i].empty()) bad(in->is_string() ? "input" : "input[" + std::to_string(i) + "]", "is empty");
  }
  if (const Value* f = field(v, "encoding_format")) {
    expect(*f, Kind::String, "encoding_format");
    if (f->str() != "float" && f->str() != "base64") bad("encoding_format", "must be float or base64");
    r.base64 = f->str() == "base64";
  }
  if (const Value* d = field(v, "dimensions")) {
    const int64_t n = integer(*d, "dimensions");
    if (n < 1 || n > (1 << 20)) bad("dimensions", "must be at least 1");
    r.dimensions = int(n);
  }
  return r;
}

std::string base64(const void* data, size_t n) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t b = uint32_t(p[i]) << 16 | (i + 1 < n ? uint32_t(p[i + 1]) << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out += kAlphabet[(b >> 18) & 63];
    out += kAlphabet[(b >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(b >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[b & 63] : '=';
  }
  return out;
}

}  // namespace sotto::cli
