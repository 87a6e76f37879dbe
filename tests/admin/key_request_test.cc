// POST /admin/keys bodies: what is accepted and the message for what is not.

#include "sluice/admin/key_request.h"

#include <gtest/gtest.h>

namespace sluice::admin {
namespace {

TEST(KeyRequest, ReadsIdProjectAndModels) {
  KeyRequest r;
  EXPECT_EQ(parse_key_request(R"({"id":"bot-1","project":"team","models":["a","b"]})", r), "");
  EXPECT_EQ(r.id, "bot-1");
  EXPECT_EQ(r.project, "team");
  EXPECT_EQ(r.models, (std::vector<std::string>{"a", "b"}));
}

TEST(KeyRequest, IdAndModelsAreOptional) {
  KeyRequest r;
  EXPECT_EQ(parse_key_request(R"({"project":"team"})", r), "");
  EXPECT_TRUE(r.id.empty());
  EXPECT_TRUE(r.models.empty());
}

TEST(KeyRequest, RefusesWhatItCannotUse) {
  struct Case {
    const char* body;
    const char* says;
  } cases[] = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"[]", "JSON object"},
      {R"({"id":"x"})", "`project` is required"},
      {R"({"project":""})", "non-empty"},
      {R"({"project":7})", "non-empty"},
      {R"({"project":"p","id":5})", "`id` must be a string"},
      {R"({"project":"p","id":""})", "`id` must be 1 to 128"},
      {R"({"project":"p","id":"a/b"})", "`id` must be 1 to 128"},
      {R"({"project":"p","models":"a"})", "array of model aliases"},
      {R"({"project":"p","models":[1]})", "array of model aliases"},
      {R"({"project":"p","models":["a","a"]})", "twice"},
      {R"({"project":"p","sha256":"00"})", "unknown field `sha256`"},
      {R"({"project":"p","models":["a"],"models":["a"]})", "field `models` appears twice"},
      {R"({"project":"p","project":"q"})", "field `project` appears twice"},
      {"{\"project\":\"\xff\"}", "not valid JSON"},
  };
  for (const Case& c : cases) {
    KeyRequest r;
    std::string err = parse_key_request(c.body, r);
    EXPECT_NE(err.find(c.says), std::string::npos) << c.body << " -> " << err;
  }
}

TEST(KeyRequest, IdCharacters) {
  EXPECT_TRUE(valid_key_id("Bot_1.prod-2"));
  EXPECT_FALSE(valid_key_id(""));
  EXPECT_FALSE(valid_key_id("a b"));
  EXPECT_FALSE(valid_key_id(std::string(129, 'a')));
  EXPECT_TRUE(valid_key_id(std::string(128, 'a')));
}

}  // namespace
}  // namespace sluice::admin
