#pragma once
// What the mock reads from a request body: just enough to answer like the provider
// (model, stream, the usage opt-in, the request's own output cap, embedding inputs).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mock_route.h"

namespace sluice::mock {

struct RequestFacts {
  std::string model;           // empty when the body names none
  bool stream = false;         // "stream": true (OpenAI, Anthropic)
  bool include_usage = false;  // "stream_options": {"include_usage": true}
  uint64_t max_tokens = 0;     // the request's cap on output tokens; 0: none
  uint32_t items = 1;          // embeddings: number of inputs
  uint32_t dimensions = 0;     // embeddings: "dimensions"; 0: default
  bool base64 = false;         // embeddings: "encoding_format": "base64"
  // Chat, Messages and Gemini: the function tools the request offers (OpenAI
  // tools[].function.name, Anthropic tools[].name, Gemini
  // tools[].functionDeclarations[].name), and whether it asks for reasoning (OpenAI
  // reasoning_effort, Anthropic thinking.type "enabled", Gemini
  // generationConfig.thinkingConfig.includeThoughts).
  std::vector<std::string> tool_names;
  bool thinking = false;
};

// Parses `body` as JSON for endpoint `api`. False with a message when it is not JSON
// (an empty body included) or not an object.
bool read_request(Api api, std::string_view body, RequestFacts& out, std::string& error);

// The prompt size the mock reports: one token per four bytes of body, at least one.
// Deterministic, so tests can predict the usage.
inline uint32_t estimate_input_tokens(std::string_view body) {
  uint64_t n = body.size() / 4;
  if (n < 1) n = 1;
  return n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n);
}

}  // namespace sluice::mock
