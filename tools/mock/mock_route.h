#pragma once
// Which provider endpoint a request is for, from its method, path and a few headers.

#include <cstdint>
#include <string_view>

#include "sluice/http/request_parser.h"
#include "wire_format.h"

namespace sluice::mock {

enum class Api : uint8_t {
  openai_chat,             // POST /v1/chat/completions
  openai_completions,      // POST /v1/completions
  openai_responses,        // POST /v1/responses
  openai_embeddings,       // POST /v1/embeddings
  openai_models,           // GET /v1/models[/{id}]
  anthropic_messages,      // POST /v1/messages
  anthropic_count_tokens,  // POST /v1/messages/count_tokens
  anthropic_models,        // GET /v1/models with an anthropic-version header
  gemini_generate,         // POST /v1beta/models/{model}:generateContent
  gemini_stream,           // POST /v1beta/models/{model}:streamGenerateContent
  gemini_count_tokens,     // POST /v1beta/models/{model}:countTokens
  gemini_models,           // GET /v1beta/models[/{model}]
  mock_stats,              // GET /mock/stats
  unknown,
};
inline constexpr size_t kApiCount = static_cast<size_t>(Api::unknown) + 1;

std::string_view api_name(Api a);

struct Route {
  Api api = Api::unknown;
  Dialect dialect = Dialect::openai;
  std::string_view method = "POST";  // the method the endpoint takes
  std::string_view model;            // from the path (Gemini; GET /v1/models/{id})
  bool json_array = false;           // Gemini stream without alt=sse
};

Route route_request(const http::RequestHead& head);

}  // namespace sluice::mock
