// The golden corpus: tests/translate/requests/<case>/in.<client>.json translated to every
// other format must equal out.<provider>.json, and responses/<case>/in.<provider>.json
// must equal out.<client>.json, compared as JSON values. Every case also goes there and
// back: A→B→A→B gives A→B again, so nothing the first hop carried is lost on the way back.
// SLUICE_TRANSLATE_REGEN=1 writes the outputs instead (review them before committing).

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/scan/usage_extractor.h"
#include "sluice/translate/translate.h"

namespace sluice::translate {
namespace {

namespace fs = std::filesystem;

constexpr ApiFlavor kFlavors[] = {ApiFlavor::openai, ApiFlavor::anthropic, ApiFlavor::gemini};

fs::path corpus(std::string_view kind) {
  const char* root = std::getenv("SLUICE_SOURCE_DIR");
  return fs::path(root ? root : ".") / "tests" / "translate" / kind;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string pretty(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError()) return body;
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  doc.Accept(w);
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

bool regen() { return std::getenv("SLUICE_TRANSLATE_REGEN") != nullptr; }

void expect_same_json(const std::string& got, const std::string& want, const std::string& what) {
  rapidjson::Document g;
  rapidjson::Document w;
  g.Parse(got.c_str(), got.size());
  w.Parse(want.c_str(), want.size());
  ASSERT_FALSE(g.HasParseError()) << what << ": output is not JSON:\n" << got;
  ASSERT_FALSE(w.HasParseError()) << what << ": expected file is not JSON";
  EXPECT_TRUE(g == w) << what << "\n--- got\n" << pretty(got) << "--- want\n" << pretty(want);
}

RequestOptions options() {
  RequestOptions o;
  o.model = "target-model";
  o.default_max_tokens = 1024;
  return o;
}

ResponseContext context() {
  ResponseContext c;
  c.model = "alias";
  c.request_id = "req-1";
  c.created_s = 1700000000;
  return c;
}

struct Case {
  fs::path dir;
  ApiFlavor from;
  std::string input;
};

std::vector<Case> cases(std::string_view kind) {
  std::vector<Case> out;
  for (const auto& entry : fs::directory_iterator(corpus(kind))) {
    for (ApiFlavor f : kFlavors) {
      fs::path in = entry.path() / ("in." + std::string(route::flavor_name(f)) + ".json");
      if (fs::exists(in)) out.push_back({entry.path(), f, read(in)});
    }
  }
  return out;
}

TEST(Golden, CorpusIsThere) {
  EXPECT_GE(cases("requests").size(), 9u);
  EXPECT_GE(cases("responses").size(), 7u);
}

TEST(Golden, Requests) {
  for (const Case& c : cases("requests")) {
    for (ApiFlavor to : kFlavors) {
      if (to == c.from) continue;
      const fs::path want = c.dir / ("out." + std::string(route::flavor_name(to)) + ".json");
      const std::string what = c.dir.filename().string() + " → " + want.filename().string();
      RequestOut got = translate_request(c.from, to, c.input, options());
      ASSERT_TRUE(got.ok) << what << ": " << got.message;
      if (regen()) {
        std::ofstream(want) << pretty(got.body);
        continue;
      }
      ASSERT_TRUE(fs::exists(want)) << what;
      expect_same_json(got.body, read(want), what);
    }
  }
}

TEST(Golden, Responses) {
  for (const Case& c : cases("responses")) {
    for (ApiFlavor to : kFlavors) {
      if (to == c.from) continue;
      const fs::path want = c.dir / ("out." + std::string(route::flavor_name(to)) + ".json");
      const std::string what = c.dir.filename().string() + " → " + want.filename().string();
      ResponseOut got = translate_response(c.from, to, c.input, context());
      ASSERT_TRUE(got.ok) << what << ": " << got.message;
      if (regen()) {
        std::ofstream(want) << pretty(got.body);
        continue;
      }
      ASSERT_TRUE(fs::exists(want)) << what;
      expect_same_json(got.body, read(want), what);
    }
  }
}

// The relay reads a translated answer's usage from the translator's own parse of the
// provider's body (translate::ParsedBody) instead of parsing it again: what that gives
// must equal what the usage scanner reads from the bytes itself, for every response of
// the corpus and for bodies that push at the edges of the count rules.
struct ExtractFromTree final : ParsedBody {
  explicit ExtractFromTree(scan::ResponseApi api) : x(api) {}
  void on_parsed(const rapidjson::Value& root) override {
    x.on_parsed_body(root);
    ++calls;
  }
  scan::UsageExtractor x;
  int calls = 0;
};

scan::ResponseApi response_api(ApiFlavor f) {
  switch (f) {
    case ApiFlavor::anthropic:
      return scan::ResponseApi::anthropic;
    case ApiFlavor::gemini:
      return scan::ResponseApi::gemini;
    case ApiFlavor::openai:
      break;
  }
  return scan::ResponseApi::openai_chat;
}

void expect_same_usage(ApiFlavor from, const std::string& body, const std::string& what) {
  for (ApiFlavor to : kFlavors) {
    if (to == from) continue;
    ExtractFromTree tree(response_api(from));
    translate_response(from, to, body, context(), &tree);
    scan::UsageExtractor own(response_api(from));
    const bool json = own.on_body(body);
    ASSERT_LE(tree.calls, json ? 1 : 0) << what;
    // Not an object (Gemini's JSON-array form): the translator refuses it and the relay
    // scans the bytes itself.
    if (tree.calls == 0) {
      EXPECT_TRUE(!json || body.front() != '{') << what;
      continue;
    }
    const scan::Usage& a = tree.x.usage();
    const scan::Usage& b = own.usage();
    EXPECT_EQ(a, b) << what << ": input " << a.input_tokens << "/" << b.input_tokens << ", output "
                    << a.output_tokens << "/" << b.output_tokens << ", cached " << a.cached_tokens
                    << "/" << b.cached_tokens;
    EXPECT_EQ(tree.x.saw_terminal(), own.saw_terminal()) << what;
    EXPECT_EQ(tree.x.saw_error(), own.saw_error()) << what;
  }
}

TEST(Golden, UsageFromTheTranslatorsParseEqualsTheScannersOwn) {
  for (const Case& c : cases("responses")) expect_same_usage(c.from, c.input, c.dir.string());
  const struct {
    ApiFlavor from;
    const char* body;
  } edges[] = {
      {ApiFlavor::anthropic,
       R"({"type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],)"
       R"("usage":{"input_tokens":12,"cache_read_input_tokens":100,)"
       R"("cache_creation_input_tokens":7,"output_tokens":3}})"},
      {ApiFlavor::anthropic,
       R"({"type":"message","content":[],"usage":{"input_tokens":-4,"output_tokens":2.9e1}})"},
      {ApiFlavor::anthropic,
       R"({"type":"message","content":[],"usage":{"input_tokens":1e30,"output_tokens":"7"}})"},
      {ApiFlavor::anthropic, R"({"type":"message","content":[],"usage":[1,2]})"},
      {ApiFlavor::anthropic, R"({"type":"message","content":[],"usage":{"input_tokens":1},)"
                             R"("usage":{"input_tokens":2}})"},
      {ApiFlavor::anthropic, R"({"type":"error","error":{"type":"overloaded_error"}})"},
      {ApiFlavor::openai,
       R"({"id":"c","object":"chat.completion","choices":[{"index":0,"message":)"
       R"({"role":"assistant","content":"x"},"finish_reason":"stop"}],"usage":)"
       R"({"prompt_tokens":9,"completion_tokens":4,"prompt_tokens_details":)"
       R"({"cached_tokens":5},"completion_tokens_details":{"reasoning_tokens":2}}})"},
      {ApiFlavor::openai, R"({"choices":[],"usage":null})"},
      {ApiFlavor::openai, R"({"choices":[],"error":{"message":"x","type":"server_error"}})"},
      {ApiFlavor::gemini,
       R"({"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},)"
       R"("finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":8,)"
       R"("candidatesTokenCount":3,"thoughtsTokenCount":6,"cachedContentTokenCount":2,)"
       R"("toolUsePromptTokenCount":1}})"},
      {ApiFlavor::gemini,
       R"({"candidates":[],"usageMetadata":{"promptTokenCount":18446744073709551615}})"},
      {ApiFlavor::gemini, R"([{"candidates":[]}])"},
      {ApiFlavor::gemini, R"({"candidates":[] )"},
  };
  for (const auto& e : edges) expect_same_usage(e.from, e.body, e.body);
}

// Whether the case says the trip through `via` loses something by design: the file
// lossy.<via> holds the reason (e.g. an OpenAI provider takes no thinking blocks).
bool lossy(const Case& c, ApiFlavor via) {
  return fs::exists(c.dir / ("lossy." + std::string(route::flavor_name(via))));
}

// A→B, back to A, to B again: the second B equals the first.
TEST(RoundTrip, RequestsKeepTheirMeaning) {
  for (const Case& c : cases("requests")) {
    for (ApiFlavor to : kFlavors) {
      if (to == c.from || lossy(c, to)) continue;
      const std::string what =
          c.dir.filename().string() + " via " + std::string(route::flavor_name(to));
      RequestOut b1 = translate_request(c.from, to, c.input, options());
      ASSERT_TRUE(b1.ok) << what << ": " << b1.message;
      RequestOptions back = options();
      back.stream = b1.stream;
      RequestOut a = translate_request(to, c.from, b1.body, back);
      ASSERT_TRUE(a.ok) << what << " back: " << a.message;
      RequestOptions again = options();
      again.stream = a.stream;
      RequestOut b2 = translate_request(c.from, to, a.body, again);
      ASSERT_TRUE(b2.ok) << what << " again: " << b2.message;
      expect_same_json(b2.body, b1.body, what);
    }
  }
}

TEST(RoundTrip, ResponsesKeepTheirMeaning) {
  for (const Case& c : cases("responses")) {
    for (ApiFlavor to : kFlavors) {
      if (to == c.from) continue;
      const std::string what =
          c.dir.filename().string() + " via " + std::string(route::flavor_name(to));
      ResponseOut b1 = translate_response(c.from, to, c.input, context());
      ASSERT_TRUE(b1.ok) << what << ": " << b1.message;
      ResponseOut a = translate_response(to, c.from, b1.body, context());
      ASSERT_TRUE(a.ok) << what << " back: " << a.message;
      ResponseOut b2 = translate_response(c.from, to, a.body, context());
      ASSERT_TRUE(b2.ok) << what << " again: " << b2.message;
      expect_same_json(b2.body, b1.body, what);
    }
  }
}

}  // namespace
}  // namespace sluice::translate
