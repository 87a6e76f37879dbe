#include "ir.h"

#include <cmath>

#include "sluice/core/json_string.h"

namespace sluice::translate::ir {

bool gemini_only_uri(std::string_view url) {
  return url.substr(0, 5) == "gs://" ||
         url.substr(0, 42) == "https://generativelanguage.googleapis.com/";
}

bool parse_data_url(std::string_view url, std::string& media_type, std::string& data) {
  if (url.substr(0, 5) != "data:") return false;
  const size_t comma = url.find(',');
  if (comma == std::string_view::npos) return false;
  std::string_view meta = url.substr(5, comma - 5);
  constexpr std::string_view kBase64 = ";base64";
  if (meta.size() < kBase64.size() || meta.substr(meta.size() - kBase64.size()) != kBase64) {
    return false;
  }
  meta.remove_suffix(kBase64.size());
  // Parameters such as ";charset=..." before ";base64" are not part of the media type.
  media_type = std::string(meta.substr(0, meta.find(';')));
  if (media_type.empty()) media_type = "application/octet-stream";
  data = std::string(url.substr(comma + 1));
  return true;
}

std::string to_text(const json::Value& v) {
  std::string out;
  json::append(out, v);
  return out;
}

std::string object_text(std::string_view text) {
  json::Document doc;
  std::string error;
  if (json::parse(text, doc, error) && doc.IsObject()) return to_text(doc);
  std::string out = R"({"sluice_unparsed_arguments":)";
  core::append_json_string(out, text);
  out += '}';
  return out;
}

std::string joined_text(const std::vector<Part>& parts) {
  std::string out;
  for (const Part& p : parts) {
    if (p.kind != Part::Kind::text) continue;
    if (!out.empty() && !p.text.empty()) out += "\n\n";
    out += p.text;
  }
  return out;
}

bool tool_result_is_text(const Part& result, std::string_view target, std::string& error) {
  for (const Part& n : result.nested) {
    if (n.kind == Part::Kind::media) {
      error = "the result of tool call \"" + result.id + "\" holds " + n.media_type +
              " media, which " + std::string(target) + " takes only as text in a tool result";
      return false;
    }
  }
  return true;
}

std::optional<double> number(const json::Value* v, std::string_view key) {
  return number_of(json::member(v, key));
}

std::optional<int64_t> integer(const json::Value* v, std::string_view key) {
  return integer_of(json::member(v, key));
}

std::optional<double> number_of(const json::Value* m) {
  if (m == nullptr || !m->IsNumber()) return std::nullopt;
  return m->GetDouble();
}

std::optional<int64_t> integer_of(const json::Value* m) {
  if (m == nullptr) return std::nullopt;
  if (m->IsInt64()) return m->GetInt64();
  if (m->IsUint64()) return INT64_MAX;
  if (m->IsDouble()) {
    double d = m->GetDouble();
    if (std::isfinite(d) && d > -9.2e18 && d < 9.2e18) return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

void append_double(std::string& out, double v) {
  json::Value value(std::isfinite(v) ? v : 0.0);
  json::append(out, value);
}

std::optional<int64_t> budget_of_effort(std::string_view effort) {
  if (effort == "minimal") return 1024;
  if (effort == "low") return 2048;
  if (effort == "medium") return 8192;
  if (effort == "high") return 24576;
  if (effort == "none") return 0;
  return std::nullopt;
}

std::string_view effort_of_budget(int64_t budget) {
  if (budget < 0) return "medium";  // Gemini's -1: the model decides
  if (budget <= 1024) return "minimal";
  if (budget <= 2048) return "low";
  if (budget <= 8192) return "medium";
  return "high";
}

std::string_view param_name(ApiFlavor client, Param param) {
  const bool gemini = client == ApiFlavor::gemini;
  switch (param) {
    case Param::seed:
      return gemini ? "generationConfig.seed" : "seed";
    case Param::top_k:
      return gemini ? "generationConfig.topK" : "top_k";
    case Param::presence_penalty:
      return gemini ? "generationConfig.presencePenalty" : "presence_penalty";
    case Param::frequency_penalty:
      return gemini ? "generationConfig.frequencyPenalty" : "frequency_penalty";
    case Param::n:
      return gemini ? "generationConfig.candidateCount" : "n";
    case Param::user:
      return client == ApiFlavor::anthropic ? "metadata.user_id" : "user";
    case Param::parallel_tool_calls:
      return client == ApiFlavor::anthropic ? "tool_choice.disable_parallel_tool_use"
                                            : "parallel_tool_calls";
    case Param::temperature_with_thinking:
      return gemini ? "generationConfig.temperature" : "temperature";
    case Param::top_p_with_thinking:
      return gemini ? "generationConfig.topP" : "top_p";
    case Param::logprobs:
      return gemini ? "generationConfig.responseLogprobs" : "logprobs";
    case Param::thinking:
      return gemini ? "generationConfig.thinkingConfig"
                    : (client == ApiFlavor::anthropic ? "thinking" : "reasoning_effort");
  }
  return "";
}

}  // namespace sluice::translate::ir
