#pragma once
// The bytes of one scenario entry's request, built once before the run: every request
// of that entry sends the same buffer, so the hot path never formats anything.

#include <cstdint>
#include <string>
#include <vector>

#include "load_options.h"
#include "scenario.h"
#include "sluice/scan/usage.h"
#include "target.h"

namespace sluice::load {

struct RequestTemplate {
  std::string bytes;  // request line, headers and body, exactly as sent
  size_t body_size = 0;
  uint32_t project = 0;  // index into Scenario::projects
  scan::ResponseApi response_api = scan::ResponseApi::openai_chat;
  bool stream = false;
};

// Builds the request of `entry`: the API's endpoint under the URL's prefix, its default
// body merged with the entry's `body` overrides (objects merge member by member, null
// removes a member), the credential header its SDK uses, then `global_headers` and the
// entry's own headers (a later header replaces an earlier one of the same name).
// False with a message when the overrides are not a JSON object or a header is one
// sluice-load must set itself.
bool build_request(const ScenarioEntry& entry, uint32_t project, const Target& target,
                   const std::vector<HeaderLine>& global_headers, RequestTemplate& out,
                   std::string& error);

// The endpoint path of `api` (Gemini's names the model and the method).
std::string api_path(ApiKind api, bool stream, const std::string& model);

// Prompt text of exactly `bytes` ASCII bytes (words, no characters JSON must escape).
std::string make_prompt(size_t bytes);

// The request body before overrides.
std::string default_body(ApiKind api, bool stream, const std::string& model, uint32_t max_tokens,
                         const std::string& prompt);

// Deep-merges the JSON object `overrides` into the JSON object `body`.
bool merge_body(std::string& body, const std::string& overrides, std::string& error);

}  // namespace sluice::load
