#include "sluice/auth/extract_key.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice::auth {
namespace {

using Headers = std::vector<http::Header>;

PresentedKey extract(const Headers& headers, std::string_view query = {}) {
  static std::string scratch;
  return extract_key(headers, query, scratch);
}

TEST(ExtractKey, BearerTokenExtracted) {
  PresentedKey k = extract({{"Authorization", "Bearer sk-one"}});
  EXPECT_EQ(k.key, "sk-one");
  EXPECT_EQ(k.source, KeySource::bearer);
}

TEST(ExtractKey, BearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(extract({{"Authorization", "bEaReR sk-one"}}).key, "sk-one");
}

TEST(ExtractKey, HeaderNameIsCaseInsensitive) {
  EXPECT_EQ(extract({{"AUTHORIZATION", "Bearer sk-one"}}).key, "sk-one");
  EXPECT_EQ(extract({{"X-Api-Key", "sk-two"}}).key, "sk-two");
}

TEST(ExtractKey, SpacesAroundBearerTokenIgnored) {
  EXPECT_EQ(extract({{"Authorization", "Bearer   sk-one  "}}).key, "sk-one");
}

TEST(ExtractKey, XApiKeyExtracted) {
  PresentedKey k = extract({{"x-api-key", "sk-ant"}});
  EXPECT_EQ(k.key, "sk-ant");
  EXPECT_EQ(k.source, KeySource::x_api_key);
}

TEST(ExtractKey, XGoogApiKeyExtracted) {
  PresentedKey k = extract({{"x-goog-api-key", "sk-goog"}});
  EXPECT_EQ(k.key, "sk-goog");
  EXPECT_EQ(k.source, KeySource::x_goog_api_key);
}

TEST(ExtractKey, QueryKeyExtracted) {
  PresentedKey k = extract({}, "alt=sse&key=sk-q");
  EXPECT_EQ(k.key, "sk-q");
  EXPECT_EQ(k.source, KeySource::query);
}

TEST(ExtractKey, QueryKeyIsUrlDecoded) {
  EXPECT_EQ(extract({}, "key=sk%2Dq%2fx%3D").key, "sk-q/x=");
}

TEST(ExtractKey, QueryKeyPlusDecodesToSpace) { EXPECT_EQ(extract({}, "key=a+b").key, "a b"); }

TEST(ExtractKey, MalformedPercentEscapeKeptLiterally) {
  EXPECT_EQ(extract({}, "key=a%zzb%4").key, "a%zzb%4");
}

TEST(ExtractKey, BearerWinsOverXApiKey) {
  PresentedKey k = extract({{"x-api-key", "sk-ant"}, {"Authorization", "Bearer sk-one"}});
  EXPECT_EQ(k.key, "sk-one");
  EXPECT_EQ(k.source, KeySource::bearer);
}

TEST(ExtractKey, XApiKeyWinsOverXGoogApiKey) {
  EXPECT_EQ(extract({{"x-goog-api-key", "sk-goog"}, {"x-api-key", "sk-ant"}}).key, "sk-ant");
}

TEST(ExtractKey, XGoogApiKeyWinsOverQueryKey) {
  EXPECT_EQ(extract({{"x-goog-api-key", "sk-goog"}}, "key=sk-q").key, "sk-goog");
}

TEST(ExtractKey, NonBearerAuthorizationFallsThrough) {
  PresentedKey k = extract({{"Authorization", "Basic dXNlcjpwYXNz"}, {"x-api-key", "sk-ant"}});
  EXPECT_EQ(k.key, "sk-ant");
  EXPECT_EQ(k.source, KeySource::x_api_key);
}

TEST(ExtractKey, SchemeWithoutSeparatorIsNotBearer) {
  EXPECT_EQ(extract({{"Authorization", "Bearersk-one"}}).source, KeySource::none);
}

TEST(ExtractKey, EmptyBearerFallsThrough) {
  EXPECT_EQ(extract({{"Authorization", "Bearer "}}, "key=sk-q").key, "sk-q");
}

TEST(ExtractKey, EmptyQueryKeyIsNone) { EXPECT_EQ(extract({}, "key=").source, KeySource::none); }

TEST(ExtractKey, NoCredentialIsNone) {
  PresentedKey k = extract({{"Host", "x"}}, "alt=sse");
  EXPECT_EQ(k.source, KeySource::none);
  EXPECT_TRUE(k.key.empty());
}

TEST(ExtractKey, KeyParamNameMustMatchExactly) {
  EXPECT_EQ(extract({}, "apikey=x&monkey=y&key2=z").source, KeySource::none);
}

TEST(ExtractKey, FirstOfDuplicateHeadersWins) {
  EXPECT_EQ(extract({{"x-api-key", "first"}, {"x-api-key", "second"}}).key, "first");
}

TEST(QueryParam, FindsLaterParameter) { EXPECT_EQ(query_param("a=1&alt=sse&b", "alt"), "sse"); }

TEST(QueryParam, TellsEmptyValueFromMissing) {
  bool found = false;
  EXPECT_EQ(query_param("a&b=", "b", &found), "");
  EXPECT_TRUE(found);
  EXPECT_EQ(query_param("a&b=", "c", &found), "");
  EXPECT_FALSE(found);
}

TEST(QueryWithoutKey, DropsOnlyTheKeyParameter) {
  EXPECT_EQ(query_without_key("alt=sse&key=sk-q&pageSize=5"), "alt=sse&pageSize=5");
  EXPECT_EQ(query_without_key("key=sk-q"), "");
  EXPECT_EQ(query_without_key("key=a&key=b&x=1"), "x=1");
  EXPECT_EQ(query_without_key("monkey=1"), "monkey=1");
}

// A provider decodes parameter names before it reads them: an encoded "key" is the key,
// found here and never forwarded.
TEST(QueryWithoutKey, DropsAnEncodedKeyName) {
  EXPECT_EQ(query_without_key("alt=sse&%6Bey=sk-q&k%65y=sk-r&x=1"), "alt=sse&x=1");
  EXPECT_EQ(query_without_key("%6bey"), "");
  EXPECT_EQ(query_without_key("ke%79%3D=1"), "ke%79%3D=1");
}

TEST(ExtractKey, EncodedKeyNameFound) {
  PresentedKey k = extract({}, "alt=sse&%6Bey=sk-enc");
  EXPECT_EQ(k.source, KeySource::query);
  EXPECT_EQ(k.key, "sk-enc");
}

}  // namespace
}  // namespace sluice::auth
