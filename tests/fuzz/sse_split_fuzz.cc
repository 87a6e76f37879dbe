// The same decoded body fed whole and cut at fuzzer-chosen points must give the same SSE
// events (byte extents included) and, for every provider API, the same usage, outcome,
// output count and hidden-chunk extents. Each piece lives in its own exact-size heap
// buffer, scribbled over once consumed, so ASan catches reads outside a span and a view
// kept past its span shows up as a difference.
//
// Input: the body first; from the end, the number of cuts, the cut offsets and whether
// to use a small event cap (so truncation is exercised too).

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/scan/sse_splitter.h"
#include "sluice/scan/usage_scanner.h"

namespace {

using namespace sluice::scan;

struct Event {
  std::string type, data, id, stray;
  int64_t retry;
  uint64_t offset, length;
  bool has_data, unterminated, truncated;
  bool operator==(const Event&) const = default;
};

struct Scan {
  Usage usage;
  StreamOutcome outcome;
  std::string error_type;
  uint64_t output_chars;
  std::vector<ByteRange> hidden;
  uint64_t events;
  bool truncated;
  bool operator==(const Scan&) const = default;
};

template <class Consume>
void feed(const std::vector<std::string_view>& pieces, Consume&& consume) {
  for (std::string_view piece : pieces) {
    std::unique_ptr<char[]> copy(new char[piece.size()]);
    if (!piece.empty()) std::memcpy(copy.get(), piece.data(), piece.size());
    consume(std::string_view(copy.get(), piece.size()));
    if (!piece.empty()) std::memset(copy.get(), '#', piece.size());
  }
}

std::vector<Event> split(const std::vector<std::string_view>& pieces, size_t cap) {
  SseSplitter splitter(cap);
  std::vector<Event> events;
  auto keep = [&](const SseEvent& e) {
    events.push_back({std::string(e.type), std::string(e.data), std::string(e.id),
                      std::string(e.stray), e.retry, e.offset, e.length, e.has_data, e.unterminated,
                      e.truncated});
  };
  feed(pieces, [&](std::string_view in) {
    for (;;) {
      const SseStep step = splitter.step(in);
      if (step.consumed > in.size()) std::abort();
      in.remove_prefix(step.consumed);
      if (step.status == SseStatus::need_more) break;
      keep(splitter.event());
    }
  });
  if (splitter.finish()) keep(splitter.event());
  return events;
}

Scan scan(ResponseApi api, const std::vector<std::string_view>& pieces, size_t cap) {
  ScanLimits limits;
  limits.max_event_bytes = cap;
  UsageScanner scanner(api, /*streaming=*/true, limits);
  feed(pieces, [&](std::string_view in) { scanner.feed(in); });
  scanner.finish();
  return {scanner.usage(),        scanner.outcome(),           std::string(scanner.error_type()),
          scanner.output_chars(), scanner.usage_only_chunks(), scanner.events(),
          scanner.truncated()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const size_t cap = input.ConsumeBool() ? 64 : SseSplitter::kDefaultMaxEventBytes;
  std::vector<size_t> cuts(input.ConsumeIntegralInRange<size_t>(0, 8));
  for (size_t& at : cuts) at = input.ConsumeIntegral<uint16_t>();
  const std::string body = input.ConsumeRemainingBytesAsString();
  for (size_t& at : cuts) at %= body.size() + 1;
  std::sort(cuts.begin(), cuts.end());

  const std::vector<std::string_view> whole = {body};
  std::vector<std::string_view> pieces;
  size_t from = 0;
  for (size_t at : cuts) {
    pieces.push_back(std::string_view(body).substr(from, at - from));
    from = at;
  }
  pieces.push_back(std::string_view(body).substr(from));

  const std::vector<Event> events = split(whole, cap);
  if (split(pieces, cap) != events) std::abort();
  uint64_t end = 0;
  for (const Event& e : events) {
    // Events follow one another, inside the body.
    if (e.offset < end || e.offset + e.length > body.size() || e.length == 0) std::abort();
    if (e.data.size() > cap || e.stray.size() > cap || e.type.size() > cap) std::abort();
    end = e.offset + e.length;
  }
  for (ResponseApi api : {ResponseApi::openai_chat, ResponseApi::openai_responses,
                          ResponseApi::anthropic, ResponseApi::gemini}) {
    if (scan(api, pieces, cap) != scan(api, whole, cap)) std::abort();
  }
  return 0;
}
