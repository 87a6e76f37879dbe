#pragma once
// Helpers for the scan tests: fixtures, events copied out of the splitter, and feeding a
// stream in pieces that are scribbled over once consumed, so a view that outlives its span
// shows up as wrong bytes instead of passing by luck.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/scan/sse_splitter.h"
#include "sluice/scan/usage_scanner.h"

namespace sluice::scan::testing {

inline std::string read_fixture(const std::string& name) {
  const char* dir = std::getenv("SLUICE_FIXTURES");
  const std::string path = std::string(dir != nullptr ? dir : "../shared/fixtures") + "/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct OwnedEvent {
  std::string type;
  std::string data;
  std::string id;
  std::string stray;
  int64_t retry = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
  bool has_data = true;
  bool unterminated = false;
  bool truncated = false;

  static OwnedEvent of(const SseEvent& e) {
    return {std::string(e.type),
            std::string(e.data),
            std::string(e.id),
            std::string(e.stray),
            e.retry,
            e.offset,
            e.length,
            e.has_data,
            e.unterminated,
            e.truncated};
  }
  bool operator==(const OwnedEvent&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const OwnedEvent& e) {
  return os << "{type=\"" << e.type << "\" data=\"" << e.data << "\" id=\"" << e.id << "\" stray=\""
            << e.stray << "\" retry=" << e.retry << " at " << e.offset << "+" << e.length
            << (e.has_data ? "" : " no-data") << (e.unterminated ? " unterminated" : "")
            << (e.truncated ? " truncated" : "") << "}";
}

// The pieces of `stream` cut at `cuts` (ascending offsets).
inline std::vector<std::string_view> cut(std::string_view stream, const std::vector<size_t>& cuts) {
  std::vector<std::string_view> pieces;
  size_t from = 0;
  for (size_t at : cuts) {
    pieces.push_back(stream.substr(from, at - from));
    from = at;
  }
  pieces.push_back(stream.substr(from));
  return pieces;
}

inline std::vector<std::string_view> bytes_of(std::string_view stream) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  return cut(stream, cuts);
}

// Feeds each piece from its own heap copy, scribbled over when the splitter is done with it.
template <class Consume>
void feed_pieces(const std::vector<std::string_view>& pieces, Consume&& consume) {
  for (std::string_view piece : pieces) {
    std::unique_ptr<char[]> copy(new char[piece.size() + 1]);
    std::copy(piece.begin(), piece.end(), copy.get());
    consume(std::string_view(copy.get(), piece.size()));
    std::fill(copy.get(), copy.get() + piece.size(), '#');
  }
}

inline std::vector<OwnedEvent> split_events(
    const std::vector<std::string_view>& pieces,
    size_t max_event_bytes = SseSplitter::kDefaultMaxEventBytes) {
  SseSplitter splitter(max_event_bytes);
  std::vector<OwnedEvent> events;
  feed_pieces(pieces, [&](std::string_view in) {
    for (;;) {
      const SseStep step = splitter.step(in);
      in.remove_prefix(step.consumed);
      if (step.status == SseStatus::need_more) break;
      events.push_back(OwnedEvent::of(splitter.event()));
    }
  });
  if (splitter.finish()) events.push_back(OwnedEvent::of(splitter.event()));
  return events;
}

inline std::vector<OwnedEvent> split_events(
    std::string_view stream, size_t max_event_bytes = SseSplitter::kDefaultMaxEventBytes) {
  return split_events(std::vector<std::string_view>{stream}, max_event_bytes);
}

// Everything a scan reports, comparable across splits.
struct ScanResult {
  Usage usage;
  StreamOutcome outcome = StreamOutcome::cut_off;
  std::string error_type;
  uint64_t output_chars = 0;
  std::vector<ByteRange> usage_only_chunks;
  uint64_t events = 0;
  bool truncated = false;

  bool operator==(const ScanResult&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const ScanResult& r) {
  os << "{in=" << r.usage.input_tokens << " out=" << r.usage.output_tokens
     << " cached=" << r.usage.cached_tokens << " cache_creation=" << r.usage.cache_creation_tokens
     << " reasoning=" << r.usage.reasoning_tokens << " found=" << r.usage.found
     << " outcome=" << to_text(r.outcome) << " error=\"" << r.error_type
     << "\" chars=" << r.output_chars << " events=" << r.events << " hidden=[";
  for (const ByteRange& b : r.usage_only_chunks) os << b.offset << "+" << b.length << " ";
  return os << "]" << (r.truncated ? " truncated" : "") << "}";
}

inline ScanResult scan(ResponseApi api, bool streaming, const std::vector<std::string_view>& pieces,
                       ScanLimits limits = {}) {
  UsageScanner scanner(api, streaming, limits);
  feed_pieces(pieces, [&](std::string_view in) { scanner.feed(in); });
  scanner.finish();
  return {scanner.usage(),        scanner.outcome(),           std::string(scanner.error_type()),
          scanner.output_chars(), scanner.usage_only_chunks(), scanner.events(),
          scanner.truncated()};
}

inline ScanResult scan(ResponseApi api, bool streaming, std::string_view body,
                       ScanLimits limits = {}) {
  return scan(api, streaming, std::vector<std::string_view>{body}, limits);
}

inline Usage usage_of(uint64_t input, uint64_t output, uint64_t cached = 0,
                      uint64_t cache_creation = 0, uint64_t reasoning = 0) {
  return {input, output, cached, cache_creation, reasoning, true};
}

}  // namespace sluice::scan::testing
