#pragma once
// What the sluice-mock integration tests share: a running mock on a free loopback port,
// JSON parsing, SSE event splitting, fixture files.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "http_client.h"
#include "process_helper.h"

namespace sluice::testing {

// The binary under test, passed by meson (tests/integration/meson.build).
inline std::string mock_binary() {
  const char* p = std::getenv("SLUICE_MOCK_BIN");
  return p ? p : "";
}

inline std::string read_fixture(std::string_view name) {
  const char* dir = std::getenv("SLUICE_FIXTURES");
  std::ifstream in(std::string(dir ? dir : "") + "/" + std::string(name), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A sluice-mock started with `args` (plus --port 0) for the life of the object.
class RunningMock {
 public:
  explicit RunningMock(std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"--port", "0"});
    port_ = start_listening(process_, mock_binary(), args);
  }
  uint16_t port() const { return port_; }
  ChildProcess& process() { return process_; }
  std::string log() const { return process_.stderr_text(); }

  // One request on a fresh connection.
  HttpResponse post(std::string_view target, std::string_view body, const HeaderList& headers = {},
                    int timeout_ms = 10000) const {
    HttpClient c(port_);
    return c.post(target, body, headers, timeout_ms);
  }
  HttpResponse get(std::string_view target, const HeaderList& headers = {}) const {
    HttpClient c(port_);
    return c.get(target, headers);
  }
  // GET /mock/stats, parsed.
  rapidjson::Document stats() const {
    rapidjson::Document d;
    d.Parse(get("/mock/stats").body.c_str());
    return d;
  }

 private:
  ChildProcess process_;
  uint16_t port_ = 0;
};

inline rapidjson::Document parse_json(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  return d;
}

struct SseEvent {
  std::string event;  // the `event:` line's value, or ""
  std::string data;   // the `data:` value (single line in every provider's streams)
};

// Splits a stream body whose events end with `terminator` ("\n\n", or "\r\n\r\n" for
// Gemini) into events. Fails the test on bytes after the last terminator.
inline std::vector<SseEvent> split_sse(std::string_view body,
                                       std::string_view terminator = "\n\n") {
  std::string_view newline = terminator.substr(0, terminator.size() / 2);
  std::vector<SseEvent> events;
  while (!body.empty()) {
    size_t end = body.find(terminator);
    if (end == std::string_view::npos) {
      ADD_FAILURE() << "unterminated event: " << body;
      break;
    }
    std::string_view block = body.substr(0, end);
    body.remove_prefix(end + terminator.size());
    SseEvent e;
    while (!block.empty()) {
      size_t eol = block.find(newline);
      std::string_view line = block.substr(0, eol);
      block =
          eol == std::string_view::npos ? std::string_view{} : block.substr(eol + newline.size());
      if (line.substr(0, 7) == "event: ") e.event = std::string(line.substr(7));
      if (line.substr(0, 6) == "data: ") e.data = std::string(line.substr(6));
    }
    events.push_back(std::move(e));
  }
  return events;
}

inline uint64_t u64(const rapidjson::Value& v, const char* key) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : UINT64_MAX;
}

// The usage the mock reports for a body: one token per four bytes, at least one.
inline uint64_t expected_input_tokens(std::string_view body) {
  return body.size() / 4 ? body.size() / 4 : 1;
}

}  // namespace sluice::testing
