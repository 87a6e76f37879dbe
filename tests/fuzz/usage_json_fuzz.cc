// The usage extractors and the JSON looks behind them on arbitrary bytes: as a whole
// non-streaming body, as a usage object, as the data (or stray text) of an SSE event of
// each type the rules treat apart, and through the scanner's over-cap tail path. Nothing
// may crash, read outside the input or report inconsistent counts, a body's cheap look
// must read what a full parse of it reads, and a usage object's scan what its parse reads.
//
// Input: the bytes first; from the end, the event type to use.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/scan/json_peek.h"
#include "sluice/scan/usage_extractor.h"
#include "sluice/scan/usage_scanner.h"

namespace {

using namespace sluice::scan;

constexpr std::string_view kTypes[] = {
    "",
    "message_start",
    "message_delta",
    "content_block_delta",
    "error",
    "message_stop",
    "response.completed",
    "response.failed",
    "response.incomplete",
    "response.output_text.delta",
    "response.created",
    "ping",
};

void check(const Usage& u) {
  // Parts never exceed the whole they are part of for well-formed input; for arbitrary
  // input they are at least never read from garbage: a found flag and finite values.
  if (!u.found && (u.input_tokens | u.output_tokens | u.cached_tokens | u.cache_creation_tokens |
                   u.reasoning_tokens) != 0) {
    std::abort();
  }
}

void peek(std::string_view text) {
  constexpr Needles kKeys{"\"usage\"", "\"delta\"", "\"text\"", "\"usageMetadata\""};
  for (size_t from = 0; from < text.size();) {
    const json::KeyHit key = json::find_keys(text, kKeys, from);
    if (key.value == json::npos) break;
    if (key.value > text.size()) std::abort();
    if (key.value < text.size() && (text[key.value] == '{' || text[key.value] == '[')) {
      if (json::container_length(text, key.value) > text.size() - key.value) std::abort();
      size_t end = 0;
      json::count_strings_of(text, key.value, {"content", "text"}, &end);
      if (end > text.size()) std::abort();
    }
    if (key.value < text.size() && text[key.value] == '"') {
      size_t end = 0;
      json::string_chars(text, key.value, &end);
      if (end > text.size()) std::abort();
    }
    from = key.value + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const std::string_view type =
      kTypes[input.ConsumeIntegralInRange<size_t>(0, std::size(kTypes) - 1)];
  const std::string bytes = input.ConsumeRemainingBytesAsString();
  std::unique_ptr<char[]> exact(new char[bytes.size()]);
  if (!bytes.empty()) std::memcpy(exact.get(), bytes.data(), bytes.size());
  const std::string_view text(exact.get(), bytes.size());

  peek(text);
  for (ResponseApi api : {ResponseApi::openai_chat, ResponseApi::openai_responses,
                          ResponseApi::anthropic, ResponseApi::gemini}) {
    UsageExtractor body(api);
    const bool peeked = body.on_body(text);
    check(body.usage());
    // Whatever the whole-body parse reads, the cheaper look must read the same.
    UsageExtractor parsed(api);
    if (parsed.on_body_full_parse(text)) {
      if (!peeked || !(body.usage() == parsed.usage()) || body.saw_error() != parsed.saw_error() ||
          body.saw_terminal() != parsed.saw_terminal() ||
          body.error_type() != parsed.error_type()) {
        std::abort();
      }
    }
    // A usage object: the scanner's reading (or its hand-off to the parser) is the
    // parser's, verdict and counts.
    UsageExtractor object(api);
    const bool object_ok = object.on_usage_object(text);
    check(object.usage());
    UsageExtractor object_parsed(api);
    if (object_parsed.on_usage_object_parsed(text) != object_ok ||
        !(object.usage() == object_parsed.usage())) {
      std::abort();
    }

    UsageExtractor stream(api);
    SseEvent event;
    event.type = type;
    event.data = text;
    event.has_data = true;
    stream.on_event(event);
    event.has_data = false;
    event.data = {};
    event.stray = text;
    stream.on_event(event);
    check(stream.usage());

    ScanLimits limits;
    limits.max_body_bytes = 32;  // the tail path
    UsageScanner tail(api, /*streaming=*/false, limits);
    tail.feed(text);
    tail.finish();
    check(tail.usage());

    // A body read in place (its length known, one piece) reads as the copied one.
    UsageScanner copied(api, /*streaming=*/false);
    copied.feed(text);
    copied.finish();
    UsageScanner in_place(api, /*streaming=*/false);
    in_place.expect_body_bytes(text.size());
    in_place.feed(text);
    in_place.finish();
    if (!(copied.usage() == in_place.usage()) || copied.outcome() != in_place.outcome() ||
        copied.error_type() != in_place.error_type() ||
        copied.output_chars() != in_place.output_chars())
      std::abort();
  }
  return 0;
}
