#pragma once
// Reads from a JSON request body only what policy needs (DESIGN.md step 4), and where
// those values sit in the body so that rewrite.h can splice them without
// re-serializing. One SAX pass (rapidjson, iterative so nesting cannot overflow the
// stack), no DOM, no copy of the body.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::route {

// Byte range [begin, end) of the inspected body.
struct Span {
  size_t begin = 0;
  size_t end = 0;
  bool empty() const { return begin == end; }
};

struct BodyInfo {
  // --- what policy reads ---
  bool has_model = false;
  std::string model;  // decoded top-level "model" (escapes resolved)
  bool stream = false;
  // The largest of max_tokens, max_completion_tokens, max_output_tokens and
  // generationConfig.maxOutputTokens present: the output a request may cost. (Gemini
  // names are also read in their proto spelling, generation_config.max_output_tokens,
  // which Google's JSON parser accepts as well.)
  bool has_max_output_tokens = false;
  uint64_t max_output_tokens = 0;
  uint32_t n = 1;              // choices asked for: "n" or generationConfig.candidateCount
  bool include_usage = false;  // stream_options.include_usage
  // Rough input size: code points of the strings under messages, input, prompt,
  // system, instructions, contents, systemInstruction and tools, except inline data
  // (values of "data", "url", "image_url", "file_data" keys: base64 images and files
  // would swamp the estimate and are billed differently anyway).
  uint64_t input_chars = 0;
  uint64_t input_token_ids = 0;  // integers under prompt / input (pre-tokenized input)

  // --- where things are, for rewrite_body ---
  Span model_value;           // the "model" string token, quotes included
  Span stream_options_value;  // the whole stream_options value (object or null)
  bool stream_options_is_object = false;
  bool stream_options_empty = false;  // "{}" (whitespace aside)
  Span include_usage_value;           // its include_usage value token
  size_t root_open = 0;               // offset of the top-level '{'
  size_t last_member_end = 0;         // end of the last top-level value (root_open + 1 if none)
  bool root_empty = true;
};

enum class InspectStatus : uint8_t {
  ok,
  malformed_json,  // not JSON (syntax, bytes after the value); UTF-8 is not validated
  not_an_object,   // valid JSON but not an object
  wrong_type,      // a policy field of the wrong type ("stream": "yes")
  duplicate_key,   // a policy field twice: we and the provider could read different ones
  too_deep,        // nested deeper than kMaxInspectDepth
};

inline constexpr size_t kMaxInspectDepth = 256;

struct InspectResult {
  InspectStatus status = InspectStatus::ok;
  std::string message;  // for the 400 body when status != ok
  bool ok() const { return status == InspectStatus::ok; }
};

// Fills `out` (reset first). null counts as absent for every optional field.
InspectResult inspect_body(std::string_view body, BodyInfo& out);

}  // namespace sluice::route
