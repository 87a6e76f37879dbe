// StreamTranslator against the golden stream corpus in tests/translate/streams/: each
// case a provider stream (input.<provider>.sse, real recordings from ../shared/fixtures
// and written cases) and the stream each client format should receive. A case with
// fail.txt is cut by the gateway: after its input, fail() with that message.
//
// Every output is produced from the input fed whole, split in two at every byte offset,
// and one byte at a time; the bytes must be identical, and they must equal the golden
// file event by event, each data line compared as parsed JSON.
//
// SLUICE_REGOLD=1 writes the golden files from the current output instead (review the
// diff before committing it).

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/route/error_envelope.h"
#include "sluice/scan/sse_splitter.h"
#include "sluice/translate/translate.h"

namespace sluice::translate {
namespace {

namespace fs = std::filesystem;

struct Variant {
  const char* file;  // the golden file's name in the case's folder
  ApiFlavor client;
  bool include_usage;
  bool gemini_sse;
};

constexpr Variant kVariants[] = {
    {"openai.out", ApiFlavor::openai, true, true},
    {"openai_no_usage.out", ApiFlavor::openai, false, true},
    {"anthropic.out", ApiFlavor::anthropic, false, true},
    {"gemini.out", ApiFlavor::gemini, false, true},
    {"gemini_array.out", ApiFlavor::gemini, false, false},
};

ResponseContext context_for(ApiFlavor client, bool include_usage, bool gemini_sse) {
  ResponseContext c;
  c.model = "team-model";
  c.request_id = "req-7f3a";
  c.created_s = 1700000000;
  c.include_usage = include_usage && client == ApiFlavor::openai;
  c.gemini_sse = gemini_sse;
  return c;
}

fs::path streams_dir() {
  const char* src = std::getenv("SLUICE_SOURCE_DIR");
  return fs::path(src != nullptr ? src : ".") / "tests" / "translate" / "streams";
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Case {
  std::string name;
  ApiFlavor provider = ApiFlavor::openai;
  std::string input;
  bool fail = false;
  std::string fail_message;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::error_code ec;
  for (const fs::directory_entry& dir : fs::directory_iterator(streams_dir(), ec)) {
    Case c;
    c.name = dir.path().filename().string();
    for (ApiFlavor p : {ApiFlavor::openai, ApiFlavor::anthropic, ApiFlavor::gemini}) {
      fs::path input = dir.path() / ("input." + std::string(route::flavor_name(p)) + ".sse");
      if (fs::exists(input)) {
        c.provider = p;
        c.input = read_file(input);
      }
    }
    if (fs::exists(dir.path() / "fail.txt")) {
      c.fail = true;
      c.fail_message = read_file(dir.path() / "fail.txt");
      while (!c.fail_message.empty() && c.fail_message.back() == '\n') c.fail_message.pop_back();
    }
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

std::string run(const Case& c, const Variant& v,
                const std::function<void(StreamTranslator&, std::string&)>& feed) {
  ResponseContext ctx = context_for(v.client, v.include_usage, v.gemini_sse);
  StreamTranslator t(c.provider, v.client, ctx);
  std::string out;
  feed(t, out);
  if (c.fail) {
    t.fail(route::ErrorClass::upstream_error, c.fail_message, out);
  } else {
    t.finish(out);
  }
  EXPECT_TRUE(t.finished());
  return out;
}

std::string run_whole(const Case& c, const Variant& v) {
  return run(c, v, [&](StreamTranslator& t, std::string& out) { t.feed(c.input, out); });
}

std::string run_split(const Case& c, const Variant& v, size_t at) {
  return run(c, v, [&](StreamTranslator& t, std::string& out) {
    std::string_view in = c.input;
    t.feed(in.substr(0, at), out);
    t.feed(in.substr(at), out);
  });
}

std::string run_bytes(const Case& c, const Variant& v) {
  return run(c, v, [&](StreamTranslator& t, std::string& out) {
    for (char ch : c.input) t.feed(std::string_view(&ch, 1), out);
  });
}

// One event of a client stream: its `event:` type and its data, parsed when JSON.
struct WireEvent {
  std::string type;
  std::string data;
};

std::vector<WireEvent> sse_events(std::string_view stream) {
  std::vector<WireEvent> events;
  scan::SseSplitter sse;
  auto take = [&] {
    const scan::SseEvent& e = sse.event();
    events.push_back({std::string(e.type), std::string(e.data)});
  };
  while (!stream.empty()) {
    scan::SseStep step = sse.step(stream);
    stream.remove_prefix(step.consumed);
    if (step.status == scan::SseStatus::event) take();
  }
  if (sse.finish()) take();
  return events;
}

bool same_json(std::string_view a, std::string_view b) {
  rapidjson::Document da, db;
  da.Parse(a.data(), a.size());
  db.Parse(b.data(), b.size());
  if (da.HasParseError() || db.HasParseError()) return a == b;
  return da == db;
}

// The output matches the golden stream event by event.
void expect_same_stream(const Variant& v, const std::string& got, const std::string& want) {
  if (!v.gemini_sse && v.client == ApiFlavor::gemini) {
    EXPECT_TRUE(same_json(got, want)) << "got:\n" << got << "\nwant:\n" << want;
    rapidjson::Document d;
    d.Parse(got.data(), got.size());
    EXPECT_FALSE(d.HasParseError()) << "the JSON-array stream is not JSON:\n" << got;
    EXPECT_TRUE(d.IsArray());
    return;
  }
  std::vector<WireEvent> g = sse_events(got);
  std::vector<WireEvent> w = sse_events(want);
  ASSERT_EQ(g.size(), w.size()) << "got:\n" << got << "\nwant:\n" << want;
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_EQ(g[i].type, w[i].type) << "event " << i;
    EXPECT_TRUE(same_json(g[i].data, w[i].data))
        << "event " << i << "\ngot:  " << g[i].data << "\nwant: " << w[i].data;
    if (g[i].data != "[DONE]") {
      rapidjson::Document d;
      d.Parse(g[i].data.data(), g[i].data.size());
      EXPECT_FALSE(d.HasParseError()) << "event " << i << " is not JSON: " << g[i].data;
    }
  }
}

class StreamCorpus : public testing::TestWithParam<Case> {};

TEST_P(StreamCorpus, EveryClientGetsTheGoldenStreamWhateverTheSplit) {
  const Case& c = GetParam();
  ASSERT_FALSE(c.input.empty()) << "no input.<provider>.sse in " << c.name;
  const bool regold = std::getenv("SLUICE_REGOLD") != nullptr;
  int compared = 0;
  for (const Variant& v : kVariants) {
    if (v.client == c.provider) continue;
    SCOPED_TRACE(v.file);
    const std::string whole = run_whole(c, v);
    const fs::path golden = streams_dir() / c.name / v.file;
    if (regold) {
      std::ofstream(golden, std::ios::binary) << whole;
      continue;
    }
    ASSERT_TRUE(fs::exists(golden)) << golden;
    expect_same_stream(v, whole, read_file(golden));
    ++compared;
    EXPECT_EQ(run_bytes(c, v), whole) << "one byte at a time";
    for (size_t at = 0; at <= c.input.size(); ++at) {
      std::string split = run_split(c, v, at);
      if (split != whole) {
        ADD_FAILURE() << "split at byte " << at << " gives\n" << split << "\ninstead of\n" << whole;
        break;
      }
    }
  }
  if (!regold) {
    EXPECT_GE(compared, 3);
  }
}

INSTANTIATE_TEST_SUITE_P(Streams, StreamCorpus, testing::ValuesIn(load_cases()),
                         [](const testing::TestParamInfo<Case>& info) { return info.param.name; });

// ---- behaviours the corpus cannot show by its end result ---------------------------

// A provider stream whose last complete event carries the text "zq".
std::string text_event_stream(ApiFlavor provider) {
  switch (provider) {
    case ApiFlavor::anthropic:
      return "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
             "\"usage\":{\"input_tokens\":3}}}\n\n"
             "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
             "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
             "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
             "\"delta\":{\"type\":\"text_delta\",\"text\":\"zq\"}}\n\n";
    case ApiFlavor::gemini:
      return "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"zq\"}],"
             "\"role\":\"model\"}}]}\r\n\r\n";
    case ApiFlavor::openai:
      break;
  }
  return "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"zq\"}}]}\n\n";
}

TEST(StreamTranslator, TextLeavesWithTheEventThatCarriedIt) {
  for (ApiFlavor provider : {ApiFlavor::openai, ApiFlavor::anthropic, ApiFlavor::gemini}) {
    for (ApiFlavor client : {ApiFlavor::openai, ApiFlavor::anthropic, ApiFlavor::gemini}) {
      if (client == provider) continue;
      SCOPED_TRACE(std::string(route::flavor_name(provider)) + " to " +
                   std::string(route::flavor_name(client)));
      StreamTranslator t(provider, client, context_for(client, true, true));
      std::string out;
      t.feed(text_event_stream(provider), out);
      EXPECT_NE(out.find("\"zq\""), std::string::npos) << out;
      EXPECT_FALSE(t.finished());
    }
  }
}

// OpenAI-compatible servers (vLLM) name the stop string that matched in the finish
// chunk's stop_reason; an Anthropic client gets it as Anthropic reports one.
TEST(StreamTranslator, AStopSequenceTheProviderNamedReachesAnAnthropicClient) {
  StreamTranslator t(ApiFlavor::openai, ApiFlavor::anthropic,
                     context_for(ApiFlavor::anthropic, false, true));
  std::string out;
  t.feed(text_event_stream(ApiFlavor::openai), out);
  t.feed(
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\","
      "\"stop_reason\":\"END\"}]}\n\n"
      "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
      "\"completion_tokens\":1}}\n\ndata: [DONE]\n\n",
      out);
  EXPECT_NE(out.find(R"("delta":{"stop_reason":"stop_sequence","stop_sequence":"END"})"),
            std::string::npos)
      << out;
}

TEST(StreamTranslator, ContentTypeFollowsTheGeminiForm) {
  EXPECT_EQ(StreamTranslator(ApiFlavor::openai, ApiFlavor::gemini,
                             context_for(ApiFlavor::gemini, false, false))
                .content_type(),
            "application/json");
  EXPECT_EQ(StreamTranslator(ApiFlavor::openai, ApiFlavor::gemini,
                             context_for(ApiFlavor::gemini, false, true))
                .content_type(),
            "text/event-stream");
  EXPECT_EQ(StreamTranslator(ApiFlavor::gemini, ApiFlavor::anthropic,
                             context_for(ApiFlavor::anthropic, false, true))
                .content_type(),
            "text/event-stream");
}

TEST(StreamTranslator, NothingFollowsTheEnd) {
  StreamTranslator t(ApiFlavor::anthropic, ApiFlavor::openai,
                     context_for(ApiFlavor::openai, false, true));
  std::string out;
  t.feed(text_event_stream(ApiFlavor::anthropic), out);
  t.finish(out);
  ASSERT_TRUE(t.finished());
  const std::string ended = out;
  t.feed(text_event_stream(ApiFlavor::anthropic), out);
  t.fail(route::ErrorClass::upstream_error, "late", out);
  t.finish(out);
  EXPECT_EQ(out, ended);
  EXPECT_TRUE(ended.ends_with("data: [DONE]\n\n")) << ended;
}

TEST(StreamTranslator, AnEventThatIsNotJsonFailsTheClientsStream) {
  StreamTranslator t(ApiFlavor::openai, ApiFlavor::anthropic,
                     context_for(ApiFlavor::anthropic, false, true));
  std::string out;
  t.feed("data: {\"choices\": [oops\n\n", out);
  EXPECT_TRUE(t.finished());
  EXPECT_NE(out.find("event: error\n"), std::string::npos) << out;
  EXPECT_NE(out.find("not a JSON object"), std::string::npos) << out;
}

TEST(StreamTranslator, GeminiClientGetsEachCallWholeWhenTheNextBegins) {
  StreamTranslator t(ApiFlavor::openai, ApiFlavor::gemini,
                     context_for(ApiFlavor::gemini, false, true));
  std::string out;
  t.feed(
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\","
      "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n",
      out);
  EXPECT_EQ(out.find("functionCall"), std::string::npos) << "a call's args are not whole yet";
  t.feed(
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
      "\"function\":{\"arguments\":\"1}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"c2\","
      "\"function\":{\"name\":\"g\",\"arguments\":\"\"}}]}}]}\n\n",
      out);
  EXPECT_NE(out.find(R"({"functionCall":{"id":"c1","name":"f","args":{"a":1}}})"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("\"c2\""), std::string::npos) << out;
}

TEST(StreamTranslator, ArgumentsThatAreNotAnObjectReachGeminiAsText) {
  StreamTranslator t(ApiFlavor::anthropic, ApiFlavor::gemini,
                     context_for(ApiFlavor::gemini, false, true));
  std::string out;
  t.feed(
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\": tru\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
      out);
  EXPECT_NE(out.find(R"("args":{"arguments":"{\"a\": tru"})"), std::string::npos) << out;
}

TEST(StreamTranslator, AStreamWithoutAFinishReasonStillClosesAnthropicsMessage) {
  StreamTranslator t(ApiFlavor::gemini, ApiFlavor::anthropic,
                     context_for(ApiFlavor::anthropic, false, true));
  std::string out;
  t.feed(text_event_stream(ApiFlavor::gemini), out);
  t.finish(out);
  EXPECT_TRUE(t.finished());
  EXPECT_NE(out.find(R"("delta":{"stop_reason":null,"stop_sequence":null})"), std::string::npos)
      << out;
  EXPECT_TRUE(out.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")) << out;
}

TEST(StreamTranslator, AFailureBeforeAnyChunkIsStillAJsonArray) {
  StreamTranslator t(ApiFlavor::anthropic, ApiFlavor::gemini,
                     context_for(ApiFlavor::gemini, false, false));
  std::string out;
  t.fail(route::ErrorClass::upstream_timeout, "no answer", out);
  rapidjson::Document d;
  d.Parse(out.data(), out.size());
  ASSERT_FALSE(d.HasParseError()) << out;
  ASSERT_TRUE(d.IsArray());
  ASSERT_EQ(d.Size(), 1u);
  EXPECT_TRUE(d[0].HasMember("error"));
}

TEST(StreamTranslator, OpenAiClientWithoutIncludeUsageGetsNoUsageChunk) {
  StreamTranslator t(ApiFlavor::anthropic, ApiFlavor::openai,
                     context_for(ApiFlavor::openai, false, true));
  std::string out;
  t.feed(text_event_stream(ApiFlavor::anthropic), out);
  t.feed(
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"end_turn\"},\"usage\":{\"output_tokens\":5}}\n\n",
      out);
  t.finish(out);
  EXPECT_EQ(out.find("\"usage\""), std::string::npos) << out;
  EXPECT_NE(out.find(R"("finish_reason":"stop")"), std::string::npos) << out;
}

}  // namespace
}  // namespace sluice::translate
