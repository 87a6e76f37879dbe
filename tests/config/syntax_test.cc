// The JSON layer: comments, trailing commas, and where syntax errors are reported.
#include <string>

#include "config_test_util.h"

namespace sluice::config::config_test {
namespace {

using ::testing::ElementsAre;

TEST(ConfigSyntax, LineCommentsAreIgnored) {
  Config c = loaded(R"(// leading comment
{
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },  // trailing
  // "shards": 3,
  "projects": { "default": {} }
})");
  EXPECT_EQ(c.shards, 0u);
  EXPECT_EQ(c.providers.size(), 1u);
}

TEST(ConfigSyntax, BlockCommentsAreIgnoredAcrossLines) {
  Config c = loaded(R"({
  /* "shards": 3,
     "listen": [] */
  "providers": { "p": { "kind": /* inline */ "openai", "base_url": "http://h" } },
  "projects": { "default": {} }
})");
  EXPECT_EQ(c.shards, 0u);
  EXPECT_EQ(c.listen.size(), 1u);
}

TEST(ConfigSyntax, TrailingCommasAreAccepted) {
  Config c = loaded(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h", }, },
  "projects": { "default": {}, },
  "cors": { "allowed_origins": ["*",], },
})");
  EXPECT_EQ(c.cors.allowed_origins, std::vector<std::string>{"*"});
}

TEST(ConfigSyntax, MissingCommaIsReportedWhereTheNextFieldStarts) {
  EXPECT_THAT(errors_of(R"({
  "providers": {
    "p": { "kind": "openai" "base_url": "http://h" }
  }
})"),
              ElementsAre("t.json:3:29: /providers/p: expected ',' or '}' after the field"));
}

TEST(ConfigSyntax, ErrorInsideAnArrayElementNamesItsIndex) {
  EXPECT_THAT(errors_of(R"({
  "keys": [
    { "id": "a" },
    { "id": tru }
  ]
})"),
              ElementsAre("t.json:4:13: /keys/1/id: invalid value (expected an object, array, "
                          "string, number, true, false or null)"));
}

TEST(ConfigSyntax, UnterminatedStringIsReportedAtTheEnd) {
  EXPECT_THAT(errors_of("{\n  \"shards\": \"auto"),
              ElementsAre("t.json:2:18: /shards: string has no closing quote"));
}

TEST(ConfigSyntax, RawControlCharacterInAStringIsReported) {
  EXPECT_THAT(errors_of("{\"shards\": \"a\tb\"}"),
              ElementsAre("t.json:1:14: /shards: control character in string (write it as an "
                          "escape such as \\n or \\t)"));
}

TEST(ConfigSyntax, UnclosedBlockCommentIsReportedWhereItStarts) {
  EXPECT_THAT(errors_of("{\n  \"shards\": 2, /* never closed\n}"),
              ElementsAre("t.json:2:16: comment has no closing */"));
}

TEST(ConfigSyntax, LoneSlashIsReported) {
  EXPECT_THAT(errors_of("{\n  \"shards\": 2 / 3\n}"),
              ElementsAre("t.json:2:15: expected // or /* after '/'"));
}

TEST(ConfigSyntax, EmptyInputIsOneErrorAtLineOne) {
  EXPECT_THAT(errors_of(""), ElementsAre("t.json:1:1: expected a JSON object, found nothing"));
}

TEST(ConfigSyntax, OnlyCommentsIsLikeEmpty) {
  EXPECT_THAT(errors_of("// nothing\n"),
              ElementsAre("t.json:2:1: expected a JSON object, found nothing"));
}

TEST(ConfigSyntax, TextAfterTheDocumentIsReported) {
  EXPECT_THAT(errors_of("{}\n{}"),
              ElementsAre("t.json:2:1: unexpected text after the end of the document"));
}

TEST(ConfigSyntax, RootMustBeAnObject) {
  EXPECT_THAT(errors_of("\n  [1, 2]"), ElementsAre("t.json:2:3: expected an object, got an array"));
}

TEST(ConfigSyntax, DuplicateFieldIsReportedAtItsSecondOccurrence) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": {} },
  "shards": 2,
  "shards": 3
})"),
              ElementsAre("t.json:5:3: /shards: duplicate field \"shards\""));
}

TEST(ConfigSyntax, FirstOfDuplicateFieldsIsKept) {
  LoadResult r = load_text(R"({"shards": 2, "shards": "x"})", "t.json");
  // Only the duplicate is reported; the dropped value is not validated as well.
  ASSERT_EQ(r.errors.size(), 3u);  // duplicate + missing providers + missing projects
  EXPECT_EQ(r.errors[0].to_string(), "t.json:1:1: missing required field \"providers\"");
  EXPECT_EQ(r.errors[2].to_string(), "t.json:1:15: /shards: duplicate field \"shards\"");
}

TEST(ConfigSyntax, NulByteIsRefused) {
  std::string text = "{\n  \"shards\": 2 }";
  text.insert(5, 1, '\0');
  EXPECT_THAT(errors_of(text), ElementsAre("t.json:2:4: NUL byte in the file"));
}

TEST(ConfigSyntax, InvalidUtf8InAStringIsReported) {
  EXPECT_THAT(errors_of("{\"shards\": \"a\xff\"}"),
              ElementsAre("t.json:1:14: /shards: invalid UTF-8 in string"));
}

TEST(ConfigSyntax, DeepNestingIsRefusedWithoutCrashing) {
  std::string text(100000, '[');
  std::vector<std::string> errors = errors_of(text);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("t.json:1:65: "), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("nested deeper than 64 levels"), std::string::npos) << errors[0];
}

TEST(ConfigSyntax, PointerEscapesSlashAndTilde) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "a/b~c": { "kind": "openai", "base_url": "http://h", "x": 1 } },
  "projects": { "default": {} }
})"),
              ElementsAre("t.json:2:71: /providers/a~1b~0c/x: unknown field \"x\""));
}

}  // namespace
}  // namespace sluice::config::config_test
