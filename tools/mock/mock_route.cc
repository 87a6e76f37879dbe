#include "mock_route.h"

namespace sluice::mock {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "alt=sse" anywhere in the query.
bool wants_sse(std::string_view query) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    if (query.substr(0, amp) == "alt=sse") return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

bool has_query_key(std::string_view query) {
  return starts_with(query, "key=") || query.find("&key=") != std::string_view::npos;
}

// "/v1beta/models/..." or "/v1/models/..." past the version: "gemini-2.0-flash:generateContent".
Route gemini_model_route(std::string_view rest, const http::RequestHead& head) {
  Route r;
  r.dialect = Dialect::gemini;
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    r.api = Api::gemini_models;
    r.method = "GET";
    r.model = rest;
    return r;
  }
  r.model = rest.substr(0, colon);
  std::string_view method = rest.substr(colon + 1);
  if (method == "generateContent") {
    r.api = Api::gemini_generate;
  } else if (method == "streamGenerateContent") {
    r.api = Api::gemini_stream;
    r.json_array = !wants_sse(head.query);
  } else if (method == "countTokens") {
    r.api = Api::gemini_count_tokens;
  }
  return r;
}

}  // namespace

std::string_view api_name(Api a) {
  switch (a) {
    case Api::openai_chat:
      return "openai_chat";
    case Api::openai_completions:
      return "openai_completions";
    case Api::openai_responses:
      return "openai_responses";
    case Api::openai_embeddings:
      return "openai_embeddings";
    case Api::openai_models:
      return "openai_models";
    case Api::anthropic_messages:
      return "anthropic_messages";
    case Api::anthropic_count_tokens:
      return "anthropic_count_tokens";
    case Api::anthropic_models:
      return "anthropic_models";
    case Api::gemini_generate:
      return "gemini_generate";
    case Api::gemini_stream:
      return "gemini_stream";
    case Api::gemini_count_tokens:
      return "gemini_count_tokens";
    case Api::gemini_models:
      return "gemini_models";
    case Api::mock_stats:
      return "mock_stats";
    case Api::unknown:
      break;
  }
  return "unknown";
}

Route route_request(const http::RequestHead& head) {
  std::string_view path = head.path;
  Route r;
  if (path == "/v1/chat/completions") {
    r.api = Api::openai_chat;
  } else if (path == "/v1/messages") {
    r.api = Api::anthropic_messages;
    r.dialect = Dialect::anthropic;
  } else if (path == "/v1/responses") {
    r.api = Api::openai_responses;
  } else if (path == "/v1/completions") {
    r.api = Api::openai_completions;
  } else if (path == "/v1/embeddings") {
    r.api = Api::openai_embeddings;
  } else if (path == "/v1/messages/count_tokens") {
    r.api = Api::anthropic_count_tokens;
    r.dialect = Dialect::anthropic;
  } else if (starts_with(path, "/v1beta/models/")) {
    return gemini_model_route(path.substr(15), head);
  } else if (path == "/v1beta/models") {
    r.api = Api::gemini_models;
    r.dialect = Dialect::gemini;
    r.method = "GET";
  } else if (path == "/v1/models") {
    r.method = "GET";
    if (head.has_header("anthropic-version")) {
      r.api = Api::anthropic_models;
      r.dialect = Dialect::anthropic;
    } else if (head.has_header("x-goog-api-key") || has_query_key(head.query)) {
      r.api = Api::gemini_models;
      r.dialect = Dialect::gemini;
    } else {
      r.api = Api::openai_models;
    }
  } else if (starts_with(path, "/v1/models/")) {
    // Gemini's v1 endpoints share the prefix with OpenAI's model lookup: a ':method' or a
    // Google key says which.
    std::string_view rest = path.substr(11);
    if (rest.find(':') != std::string_view::npos || head.has_header("x-goog-api-key") ||
        has_query_key(head.query))
      return gemini_model_route(rest, head);
    r.api = Api::openai_models;
    r.method = "GET";
    r.model = rest;
  } else if (path == "/mock/stats") {
    r.api = Api::mock_stats;
    r.method = "GET";
  } else if (starts_with(path, "/v1beta/")) {
    r.dialect = Dialect::gemini;
  }
  return r;
}

}  // namespace sluice::mock
