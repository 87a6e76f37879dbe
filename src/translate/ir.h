#pragma once
// The neutral form every translator reads into and writes from: a request or a whole
// response as the three formats all understand it. Each format has one reader and one
// writer, so six directions cost three of each.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"
#include "sluice/core/json_string.h"
#include "sluice/translate/translate.h"
#include "sluice/translate/vocab.h"

namespace sluice::translate::ir {

// A signature's origin: only the provider that made it can check it, so each writer
// sends a provider only its own and drops the others.
enum class SignatureFrom : uint8_t { none, anthropic, gemini };

struct Part {
  enum class Kind : uint8_t { text, media, tool_call, tool_result, thinking, redacted_thinking };
  Kind kind = Kind::text;
  std::string text;        // text; thinking text; a tool result's text
  std::string media_type;  // media: "image/png", "application/pdf", ...
  std::string data;        // media: base64; redacted_thinking: its opaque data
  std::string url;         // media by reference (http(s), gs:// or a Files API URI)
  std::string id;          // tool_call: its id; tool_result: the call it answers
  std::string name;        // tool_call / tool_result: the function's name (when known)
  std::string arguments;   // tool_call: a JSON object's text; tool_result: a JSON
                           // object's text when the result was structured (Gemini)
  std::string signature;   // thinking: its signature; text / tool_call: Gemini's
                           // thoughtSignature on that part
  SignatureFrom signature_from = SignatureFrom::none;
  bool is_error = false;     // tool_result
  std::vector<Part> nested;  // tool_result: its content parts (text, media)
};

struct Message {
  Role role = Role::user;
  std::vector<Part> parts;
};

struct Tool {
  std::string name;
  std::string description;
  std::string parameters;  // JSON Schema text (cleaned for the target by the writer)
};

enum class ToolChoice : uint8_t { unset, auto_, none, required, named };

// Parameters that not every target honours, each named in the client's words when the
// writer must drop it.
enum class Param : uint8_t {
  seed,
  top_k,
  presence_penalty,
  frequency_penalty,
  n,
  user,
  parallel_tool_calls,
  temperature_with_thinking,
  top_p_with_thinking,
  logprobs,
  thinking,
};

struct Request {
  std::vector<Part> system;  // text parts
  std::vector<Message> messages;
  std::vector<Tool> tools;
  ToolChoice tool_choice = ToolChoice::unset;
  std::string tool_choice_name;
  std::optional<bool> parallel_tool_calls;

  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> top_k;
  std::optional<uint64_t> max_tokens;
  std::optional<int64_t> seed;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::optional<uint64_t> n;
  std::optional<bool> logprobs;
  std::string user;
  std::vector<std::string> stop;

  // Structured output: a JSON Schema (text) and its name, or JSON without a schema.
  bool json_output = false;
  std::string output_schema;
  std::string output_schema_name;

  // Reasoning: a budget in tokens (0: off), or unset.
  std::optional<int64_t> thinking_budget;
  bool include_thoughts = false;

  bool stream = false;
  bool include_usage = false;
  std::vector<std::string> dropped;  // in the client's words
};

struct Response {
  std::string id;
  std::vector<Part> parts;  // text, thinking, redacted_thinking, tool_call
  FinishReason finish = FinishReason::end_turn;
  std::string stop_sequence;  // the one that matched, when the provider named it
  TokenCounts usage;
};

// The name of the forced tool that carries structured output through Anthropic.
inline constexpr std::string_view kOutputTool = "sluice_structured_output";

// Prefixes that mark a signature carried through another format's field, so that
// the provider that made it gets it back and no other provider sees it.
inline constexpr std::string_view kGeminiSignaturePrefix = "sluice.gemini.";
inline constexpr std::string_view kAnthropicSignaturePrefix = "sluice.anthropic.";
// For Anthropic clients a Gemini signature rides in an empty thinking block: marked with
// kGeminiSignaturePrefix it belongs to the part after the block (a call), marked with
// kGeminiTextSignaturePrefix to the text block just before it, so that a signed text
// part does not cut the answer's text in two.
inline constexpr std::string_view kGeminiTextSignaturePrefix = "sluice.gemini-text.";

// Gemini ids its function calls only sometimes; calls without one get an id from their
// place in the conversation, and each functionResponse takes the id of the first
// unanswered call of its name, so a Gemini client's history keeps stable ids.
struct CallIds {
  struct Pending {
    std::string name;
    std::string id;
  };
  std::vector<Pending> pending;
  bool response = false;  // a response's calls: ids are invented by the client's writer
  uint32_t count = 0;

  std::string call(std::string_view name, std::string_view given, size_t message, size_t part) {
    std::string id(given);
    if (id.empty() && response) id = "\x01" + std::to_string(count);
    if (id.empty()) id = "call_" + std::to_string(message) + "_" + std::to_string(part);
    ++count;
    pending.push_back({std::string(name), id});
    return id;
  }
  std::string answer(std::string_view name, std::string_view given) {
    for (auto it = pending.begin(); it != pending.end(); ++it) {
      if (it->name == name && (given.empty() || it->id == given)) {
        std::string id = std::move(it->id);
        pending.erase(it);
        return id;
      }
    }
    return given.empty() ? "call_" + std::string(name) : std::string(given);
  }
};

// One Gemini part, one Anthropic content array: shared by the request and response readers.
bool read_gemini_part(const json::Value& p, std::vector<Part>& parts, CallIds& ids,
                      size_t message_index, std::string& error);
// skip_unknown: an answer's blocks sluice does not translate (server tool use and its
// results) are left out rather than failing the whole answer.
bool read_anthropic_blocks(const json::Value* content, std::vector<Part>& parts, std::string& error,
                           bool skip_unknown = false);

// Readers: false with `error` (the client's message) on a body they cannot use.
bool read_openai_request(const json::Value& body, Request& out, std::string& error);
bool read_anthropic_request(const json::Value& body, Request& out, std::string& error);
bool read_gemini_request(const json::Value& body, Request& out, std::string& error);

// Writers: false with `error` when the request holds something the target cannot take
// (an image URL Gemini cannot fetch, audio to Anthropic).
bool write_openai_request(const Request& in, ApiFlavor client, const RequestOptions& options,
                          std::string& out, std::vector<Param>& dropped, std::string& error);
bool write_anthropic_request(const Request& in, ApiFlavor client, const RequestOptions& options,
                             std::string& out, std::vector<Param>& dropped, std::string& error);
bool write_gemini_request(const Request& in, ApiFlavor client, const RequestOptions& options,
                          std::string& out, std::vector<Param>& dropped, std::string& error);

// The parameter's name in the client's format.
std::string_view param_name(ApiFlavor client, Param param);

// JSON Schema re-written for a target: Gemini's `parameters` take an OpenAPI subset
// (unknown keywords dropped, type lists folded into `nullable`); Anthropic and OpenAI
// take JSON Schema (Gemini's upper-case types lower-cased, `nullable` unfolded).
void append_schema(std::string& out, const json::Value& schema, ApiFlavor target);
void append_schema_text(std::string& out, std::string_view schema_text, ApiFlavor target);
// Whether a schema's text has a non-empty `properties` object at the top.
bool schema_has_properties(std::string_view schema_text);

// Whole responses.
bool read_openai_response(const json::Value& body, Response& out, std::string& error);
bool read_anthropic_response(const json::Value& body, Response& out, std::string& error);
bool read_gemini_response(const json::Value& body, Response& out, std::string& error);
void write_openai_response(const Response& in, const ResponseContext& context, std::string& out);
void write_anthropic_response(const Response& in, const ResponseContext& context, std::string& out);
void write_gemini_response(const Response& in, const ResponseContext& context, std::string& out);

}  // namespace sluice::translate::ir

namespace sluice::translate::ir {

// A URI only Gemini can read (Cloud Storage, its Files API): other providers get a 400.
bool gemini_only_uri(std::string_view url);
// "data:image/png;base64,AAAA" → media type and data; false for any other URL.
bool parse_data_url(std::string_view url, std::string& media_type, std::string& data);
// Tool call arguments as a JSON object's text: `text` re-serialised when it is one,
// else {"sluice_unparsed_arguments": text} so that nothing the model wrote is lost.
std::string object_text(std::string_view text);
// A value as JSON text.
std::string to_text(const json::Value& v);
// Joins the text parts (tool results written as plain text where a target has no
// structure for them).
std::string joined_text(const std::vector<Part>& parts);
// False with `error` when a tool result holds media, which `target` cannot take there.
bool tool_result_is_text(const Part& result, std::string_view target, std::string& error);
// A number member: nullopt when absent or not a number.
std::optional<double> number(const json::Value* v, std::string_view key);
std::optional<int64_t> integer(const json::Value* v, std::string_view key);
// The same of a member already found (null: absent).
std::optional<double> number_of(const json::Value* m);
std::optional<int64_t> integer_of(const json::Value* m);
void append_double(std::string& out, double v);

// Effort ↔ budget (docs/TRANSLATION.md): minimal 1024, low 2048, medium 8192, high 24576.
std::optional<int64_t> budget_of_effort(std::string_view effort);
std::string_view effort_of_budget(int64_t budget);

}  // namespace sluice::translate::ir

namespace sluice::translate::ir {

// Writing one JSON object member at a time: `"k":` preceded by a comma unless first.
struct Members {
  std::string& out;
  bool first = true;
  // `k` is escaped: schema writers pass on keys the client chose.
  std::string& key(std::string_view k) {
    if (!first) out += ',';
    first = false;
    core::append_json_string(out, k);
    out += ':';
    return out;
  }
};

}  // namespace sluice::translate::ir

namespace sluice::translate::ir {

// Writes the turns of a conversation for Anthropic (`content`) and Gemini (`parts`):
// consecutive messages of one role become one turn, and a turn left with no part at all
// (only thinking another provider made, only empty text) is left out, as both refuse
// empty turns.
struct Turns {
  std::string& out;
  std::string_view parts_key;
  bool any_turn = false;
  bool open = false;
  bool any_part = false;
  size_t turn_start = 0;
  std::string_view role;

  void start(std::string_view r) {
    if (open && r == role) return;
    close();
    turn_start = out.size();
    if (any_turn) out += ',';
    out += R"({"role":")";
    out.append(r);
    out += R"(",")";
    out.append(parts_key);
    out += R"(":[)";
    open = true;
    any_part = false;
    role = r;
  }
  // Before a part: where to rewind to should the part write nothing.
  size_t part_begin() {
    const size_t mark = out.size();
    if (any_part) out += ',';
    return mark;
  }
  void part_end(size_t mark, bool wrote) {
    if (wrote) {
      any_part = true;
    } else {
      out.resize(mark);
    }
  }
  void close() {
    if (!open) return;
    open = false;
    if (!any_part) {
      out.resize(turn_start);
      return;
    }
    out += "]}";
    any_turn = true;
  }
};

}  // namespace sluice::translate::ir
