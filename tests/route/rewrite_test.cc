#include "sluice/route/rewrite.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

namespace sluice::route {
namespace {

std::string rewrite(std::string_view body, std::string_view model, bool usage) {
  BodyInfo info;
  InspectResult r = inspect_body(body, info);
  EXPECT_TRUE(r.ok()) << r.message;
  std::string out;
  rewrite_body(body, info, RewriteSpec{model, usage}, out);
  return out;
}

// `out` must be `body` with exactly body[begin, end) replaced by `text`: no other byte
// added, removed or changed.
void expect_single_splice(std::string_view body, std::string_view out, std::string_view before,
                          std::string_view text) {
  size_t at = body.find(before);
  ASSERT_NE(at, std::string_view::npos);
  std::string expected = std::string(body.substr(0, at)) + std::string(text) +
                         std::string(body.substr(at + before.size()));
  EXPECT_EQ(out, expected);
}

TEST(Rewrite, ModelReplacedEveryOtherByteUnchanged) {
  const std::string body =
      "{\n  \"messages\": [ {\"role\":\"user\", \"content\":\"caf\\u00e9 1.50e3\"} ],\n"
      "  \"model\" :\t\"fast\" ,\n  \"temperature\": 0.70, \"seed\": -0\n}\n";
  std::string out = rewrite(body, "gpt-4o-2024-08-06", false);
  expect_single_splice(body, out, R"("fast")", R"("gpt-4o-2024-08-06")");
}

TEST(Rewrite, ShorterUpstreamNameKeepsOtherBytes) {
  const std::string body = R"({"model":"a-very-long-alias-name","stream":false})";
  expect_single_splice(body, rewrite(body, "m", false), R"("a-very-long-alias-name")", R"("m")");
}

TEST(Rewrite, EscapedModelValueReplacedWhole) {
  const std::string body = R"({"model":"gpt\u002d4o","x":1})";
  expect_single_splice(body, rewrite(body, "up", false), R"("gpt\u002d4o")", R"("up")");
}

TEST(Rewrite, UpstreamModelIsJsonEscaped) {
  const std::string body = R"({"model":"a"})";
  EXPECT_EQ(rewrite(body, "we\"ird\\name", false), R"({"model":"we\"ird\\name"})");
}

TEST(Rewrite, EmptyUpstreamModelKeepsModel) {
  const std::string body = R"({"model":"a", "stream":true})";
  EXPECT_EQ(rewrite(body, "", false), body);
}

TEST(Rewrite, BodyWithoutModelGetsNoModel) {
  const std::string body = R"({"contents":[]})";
  EXPECT_EQ(rewrite(body, "gemini-2.0-flash", false), body);
}

TEST(Rewrite, StreamOptionsAddedAfterLastMember) {
  const std::string body = "{\"model\":\"a\",\"stream\":true\n}";
  EXPECT_EQ(rewrite(body, "", true),
            "{\"model\":\"a\",\"stream\":true,\"stream_options\":{\"include_usage\":true}\n}");
}

TEST(Rewrite, StreamOptionsAddedAfterContainerMember) {
  const std::string body = R"({"stream":true,"messages":[{"a":"}"}] })";
  EXPECT_EQ(rewrite(body, "", true),
            R"({"stream":true,"messages":[{"a":"}"}],"stream_options":{"include_usage":true} })");
}

TEST(Rewrite, StreamOptionsAddedToEmptyObject) {
  EXPECT_EQ(rewrite(" { } ", "", true), R"( {"stream_options":{"include_usage":true} } )");
}

TEST(Rewrite, IncludeUsageAddedToExistingStreamOptions) {
  const std::string body = R"({"stream":true,"stream_options": {"x":1}})";
  EXPECT_EQ(rewrite(body, "", true),
            R"({"stream":true,"stream_options": {"include_usage":true,"x":1}})");
}

TEST(Rewrite, IncludeUsageAddedToEmptyStreamOptions) {
  const std::string body = R"({"stream":true,"stream_options":{ }})";
  EXPECT_EQ(rewrite(body, "", true), R"({"stream":true,"stream_options":{"include_usage":true }})");
}

TEST(Rewrite, IncludeUsageFalseBecomesTrue) {
  const std::string body = R"({"stream":true,"stream_options":{"include_usage" : false }})";
  expect_single_splice(body, rewrite(body, "", true), "false", "true");
}

TEST(Rewrite, IncludeUsageNullBecomesTrue) {
  const std::string body = R"({"stream":true,"stream_options":{"include_usage":null}})";
  expect_single_splice(body, rewrite(body, "", true), "null", "true");
}

TEST(Rewrite, StreamOptionsNullBecomesObject) {
  const std::string body = R"({"stream":true,"stream_options":null,"n":1})";
  expect_single_splice(body, rewrite(body, "", true), "null", R"({"include_usage":true})");
}

TEST(Rewrite, IncludeUsageAlreadyTrueUnchanged) {
  const std::string body = R"({"stream":true,"stream_options":{"include_usage":true}})";
  EXPECT_EQ(rewrite(body, "", true), body);
}

TEST(Rewrite, NoChangeRequestedCopiesBody) {
  const std::string body = R"({"model":"a","stream":true})";
  BodyInfo info;
  ASSERT_TRUE(inspect_body(body, info).ok());
  EXPECT_FALSE(rewrite_changes(info, RewriteSpec{}));
  EXPECT_EQ(rewrite(body, "", false), body);
}

TEST(Rewrite, ChangesReportedWhenModelOrUsageChange) {
  BodyInfo info;
  ASSERT_TRUE(inspect_body(R"({"model":"a","stream":true})", info).ok());
  EXPECT_TRUE(rewrite_changes(info, RewriteSpec{"b", false}));
  EXPECT_TRUE(rewrite_changes(info, RewriteSpec{"", true}));
}

TEST(Rewrite, ModelAndUsageInOneBody) {
  const std::string body = R"({"stream_options":{"include_usage":false},"model":"alias"})";
  EXPECT_EQ(rewrite(body, "upstream", true),
            R"({"stream_options":{"include_usage":true},"model":"upstream"})");
}

TEST(Rewrite, RewrittenBodyReinspectsWithNewModelAndUsage) {
  const std::string body =
      R"({"model":"alias","messages":[{"role":"user","content":"hi"}],"stream":true,)"
      R"("max_tokens":10})";
  std::string out = rewrite(body, "gpt-4o-mini-2024-07-18", true);
  BodyInfo info;
  ASSERT_TRUE(inspect_body(out, info).ok());
  EXPECT_EQ(info.model, "gpt-4o-mini-2024-07-18");
  EXPECT_TRUE(info.include_usage);
  EXPECT_TRUE(info.stream);
  EXPECT_EQ(info.max_output_tokens, 10u);
  EXPECT_EQ(info.input_chars, 6u);
  rapidjson::Document doc;
  doc.Parse(out.c_str());
  EXPECT_FALSE(doc.HasParseError());
}

TEST(Rewrite, OutputBufferIsReplacedNotAppended) {
  const std::string body = R"({"model":"a"})";
  BodyInfo info;
  ASSERT_TRUE(inspect_body(body, info).ok());
  std::string out = "stale bytes";
  rewrite_body(body, info, RewriteSpec{"b", false}, out);
  EXPECT_EQ(out, R"({"model":"b"})");
}

}  // namespace
}  // namespace sluice::route
