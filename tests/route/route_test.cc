#include "sluice/route/route.h"

#include <gtest/gtest.h>

namespace sluice::route {
namespace {

TEST(ClassifyRoute, ChatCompletionsIsUnified) {
  Route r = classify_route("POST", "/v1/chat/completions");
  EXPECT_EQ(r.kind, RouteKind::unified);
  EXPECT_EQ(r.endpoint, Endpoint::chat_completions);
  EXPECT_EQ(r.flavor, ApiFlavor::openai);
  EXPECT_EQ(r.upstream_path, "/chat/completions");
}

TEST(ClassifyRoute, EveryUnifiedPostEndpointIsKnown) {
  EXPECT_EQ(classify_route("POST", "/v1/completions").endpoint, Endpoint::completions);
  EXPECT_EQ(classify_route("POST", "/v1/embeddings").endpoint, Endpoint::embeddings);
  EXPECT_EQ(classify_route("POST", "/v1/responses").endpoint, Endpoint::responses);
  EXPECT_EQ(classify_route("POST", "/v1/responses").upstream_path, "/responses");
}

TEST(ClassifyRoute, ModelsListIsUnifiedGet) {
  Route r = classify_route("GET", "/v1/models");
  EXPECT_EQ(r.kind, RouteKind::unified);
  EXPECT_EQ(r.endpoint, Endpoint::models);
}

TEST(ClassifyRoute, ModelRetrieveCarriesAlias) {
  Route r = classify_route("GET", "/v1/models/gpt-4o");
  EXPECT_EQ(r.kind, RouteKind::unified);
  EXPECT_EQ(r.endpoint, Endpoint::model);
  EXPECT_EQ(r.model, "gpt-4o");
}

TEST(ClassifyRoute, PostToModelsIsMethodNotAllowed) {
  Route r = classify_route("POST", "/v1/models");
  EXPECT_EQ(r.kind, RouteKind::method_not_allowed);
  EXPECT_EQ(r.allow, "GET");
}

TEST(ClassifyRoute, GetChatCompletionsIsMethodNotAllowed) {
  Route r = classify_route("GET", "/v1/chat/completions");
  EXPECT_EQ(r.kind, RouteKind::method_not_allowed);
  EXPECT_EQ(r.allow, "POST");
}

TEST(ClassifyRoute, UnknownUnifiedPathIsNotFound) {
  EXPECT_EQ(classify_route("POST", "/v1/audio/speech").kind, RouteKind::not_found);
}

TEST(ClassifyRoute, TrailingSlashIsNotFound) {
  EXPECT_EQ(classify_route("POST", "/v1/chat/completions/").kind, RouteKind::not_found);
  EXPECT_EQ(classify_route("GET", "/v1/models/").kind, RouteKind::not_found);
}

TEST(ClassifyRoute, MatchingIsCaseSensitive) {
  EXPECT_EQ(classify_route("POST", "/V1/chat/completions").kind, RouteKind::not_found);
}

TEST(ClassifyRoute, OpenAiNativeStripsPrefixAndVersion) {
  Route r = classify_route("POST", "/openai/v1/chat/completions");
  EXPECT_EQ(r.kind, RouteKind::native);
  EXPECT_EQ(r.provider, config::ProviderKind::openai);
  EXPECT_EQ(r.flavor, ApiFlavor::openai);
  EXPECT_EQ(r.upstream_path, "/chat/completions");
}

TEST(ClassifyRoute, NativeAcceptsTheMethodsProviderApisUse) {
  for (const char* m : {"GET", "POST", "DELETE", "HEAD"})
    EXPECT_EQ(classify_route(m, "/openai/v1/files/file-1").kind, RouteKind::native) << m;
}

TEST(ClassifyRoute, NativeRefusesOtherMethodsWithAllow) {
  for (const char* m : {"TRACE", "PUT", "PATCH", "CONNECT", "OPTIONS", "TRACK"}) {
    Route r = classify_route(m, "/anthropic/v1/messages");
    EXPECT_EQ(r.kind, RouteKind::method_not_allowed) << m;
    EXPECT_EQ(r.allow, "GET, POST, DELETE, HEAD");
    EXPECT_EQ(r.flavor, ApiFlavor::anthropic);
  }
}

TEST(ClassifyRoute, AnthropicNativeKeepsVersion) {
  Route r = classify_route("POST", "/anthropic/v1/messages");
  EXPECT_EQ(r.kind, RouteKind::native);
  EXPECT_EQ(r.provider, config::ProviderKind::anthropic);
  EXPECT_EQ(r.flavor, ApiFlavor::anthropic);
  EXPECT_EQ(r.upstream_path, "/v1/messages");
}

TEST(ClassifyRoute, AnthropicMessagesAtTheRootAreUnified) {
  Route r = classify_route("POST", "/v1/messages");
  EXPECT_EQ(r.kind, RouteKind::unified);
  EXPECT_EQ(r.endpoint, Endpoint::messages);
  EXPECT_EQ(r.flavor, ApiFlavor::anthropic);
  Route c = classify_route("POST", "/v1/messages/count_tokens");
  EXPECT_EQ(c.endpoint, Endpoint::count_tokens);
  EXPECT_EQ(c.flavor, ApiFlavor::anthropic);
  EXPECT_EQ(classify_route("GET", "/v1/messages").kind, RouteKind::method_not_allowed);
}

TEST(ClassifyRoute, GeminiGenerateAtTheRootNamesTheAlias) {
  Route r = classify_route("POST", "/v1beta/models/my-alias:generateContent");
  EXPECT_EQ(r.kind, RouteKind::unified);
  EXPECT_EQ(r.endpoint, Endpoint::generate_content);
  EXPECT_EQ(r.flavor, ApiFlavor::gemini);
  EXPECT_EQ(r.model, "my-alias");
  EXPECT_FALSE(r.stream);
  Route s = classify_route("POST", "/v1beta/models/my-alias:streamGenerateContent");
  EXPECT_TRUE(s.stream);
  EXPECT_EQ(s.gemini_method, "streamGenerateContent");
}

TEST(ClassifyRoute, GeminiGenerateUnderV1IsUnifiedButModelIdsWithColonsStayOpenAi) {
  Route r = classify_route("POST", "/v1/models/my-alias:streamGenerateContent");
  EXPECT_EQ(r.endpoint, Endpoint::generate_content);
  EXPECT_EQ(r.model, "my-alias");
  EXPECT_TRUE(r.stream);
  Route ft = classify_route("GET", "/v1/models/ft:gpt-4o:acme:abc");
  EXPECT_EQ(ft.endpoint, Endpoint::model);
  EXPECT_EQ(ft.model, "ft:gpt-4o:acme:abc");
}

TEST(ClassifyRoute, GeminiRootRefusesOtherMethodsAndNestedNames) {
  EXPECT_EQ(classify_route("POST", "/v1beta/models/a:countTokens").kind, RouteKind::not_found);
  EXPECT_EQ(classify_route("POST", "/v1beta/models/a/b:generateContent").kind,
            RouteKind::not_found);
  EXPECT_EQ(classify_route("POST", "/v1beta/models/:generateContent").kind, RouteKind::not_found);
  Route miss = classify_route("POST", "/v1beta/models/a:countTokens");
  EXPECT_EQ(miss.flavor, ApiFlavor::gemini);  // answered in Gemini's envelope
  EXPECT_EQ(classify_route("GET", "/v1beta/models/a:generateContent").kind,
            RouteKind::method_not_allowed);
}

TEST(ClassifyRoute, GeminiV1betaIsNative) {
  Route r = classify_route("GET", "/gemini/v1beta/models");
  EXPECT_EQ(r.kind, RouteKind::native);
  EXPECT_EQ(r.provider, config::ProviderKind::gemini);
  EXPECT_EQ(r.upstream_path, "/v1beta/models");
  EXPECT_TRUE(r.model.empty());
}

TEST(ClassifyRoute, GeminiV1IsNative) {
  Route r = classify_route("POST", "/gemini/v1/models/gemini-2.0-flash:generateContent");
  EXPECT_EQ(r.kind, RouteKind::native);
  EXPECT_EQ(r.upstream_path, "/v1/models/gemini-2.0-flash:generateContent");
}

TEST(ClassifyRoute, GeminiModelExtractedFromPath) {
  Route r = classify_route("POST", "/gemini/v1beta/models/gemini-2.0-flash:generateContent");
  EXPECT_EQ(r.model, "gemini-2.0-flash");
  EXPECT_EQ(r.gemini_method, "generateContent");
  EXPECT_FALSE(r.stream);
}

TEST(ClassifyRoute, GeminiStreamRouteDetected) {
  Route r = classify_route("POST", "/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent");
  EXPECT_EQ(r.model, "gemini-2.5-pro");
  EXPECT_EQ(r.gemini_method, "streamGenerateContent");
  EXPECT_TRUE(r.stream);
}

TEST(ClassifyRoute, GeminiModelInfoHasModelButNoMethod) {
  Route r = classify_route("GET", "/gemini/v1beta/models/gemini-2.0-flash");
  EXPECT_EQ(r.model, "gemini-2.0-flash");
  EXPECT_TRUE(r.gemini_method.empty());
}

TEST(ClassifyRoute, GeminiTunedModelKeepsResourceName) {
  Route r = classify_route("POST", "/gemini/v1beta/tunedModels/my-model-7:generateContent");
  EXPECT_EQ(r.model, "tunedModels/my-model-7");
  EXPECT_EQ(r.gemini_method, "generateContent");
}

TEST(ClassifyRoute, GeminiOtherResourceHasNoModel) {
  Route r = classify_route("GET", "/gemini/v1beta/files/abc");
  EXPECT_EQ(r.kind, RouteKind::native);
  EXPECT_TRUE(r.model.empty());
}

TEST(ClassifyRoute, NativePrefixWithoutVersionIsNotFound) {
  EXPECT_EQ(classify_route("POST", "/openai/chat/completions").kind, RouteKind::not_found);
  EXPECT_EQ(classify_route("POST", "/anthropic/messages").kind, RouteKind::not_found);
  EXPECT_EQ(classify_route("POST", "/gemini/v2/models").kind, RouteKind::not_found);
  EXPECT_EQ(classify_route("POST", "/openai/v1").kind, RouteKind::not_found);
}

TEST(ClassifyRoute, PrefixLookalikeIsNotFound) {
  EXPECT_EQ(classify_route("POST", "/openai/v10/chat").kind, RouteKind::not_found);
  EXPECT_EQ(classify_route("POST", "/anthropicx/v1/messages").kind, RouteKind::not_found);
  EXPECT_EQ(classify_route("GET", "/adminx").kind, RouteKind::not_found);
  EXPECT_EQ(classify_route("GET", "/healthz/").kind, RouteKind::not_found);
}

TEST(ClassifyRoute, NativeDotSegmentIsBadPath) {
  EXPECT_EQ(classify_route("GET", "/openai/v1/../../admin").kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("GET", "/anthropic/v1/./messages").kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("GET", "/gemini/v1beta/models/..").kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("GET", "/openai/v1/x/..").kind, RouteKind::bad_path);
}

TEST(ClassifyRoute, PercentEncodedDotSegmentIsBadPath) {
  EXPECT_EQ(classify_route("GET", "/openai/v1/%2e%2E/x").kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("GET", "/openai/v1/.%2e/x").kind, RouteKind::bad_path);
}

TEST(ClassifyRoute, BadPathKeepsTheClientsFlavorAndSaysWhy) {
  Route r = classify_route("POST", "/gemini/v1beta/models/a;b:generateContent");
  EXPECT_EQ(r.kind, RouteKind::bad_path);
  EXPECT_EQ(r.flavor, ApiFlavor::gemini);
  EXPECT_FALSE(r.reason.empty());
  EXPECT_TRUE(r.upstream_path.empty());
}

TEST(ClassifyRoute, PathParameterIsBadPath) {
  EXPECT_EQ(classify_route("GET", "/openai/v1/..;/x").kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("GET", "/openai/v1/models;x=1").kind, RouteKind::bad_path);
}

TEST(ClassifyRoute, EncodedSlashBackslashAndPercentAreBadPath) {
  for (const char* p :
       {"/openai/v1/%2F..%2Fx", "/openai/v1/a%2fb", "/openai/v1/a%5Cb", "/openai/v1/a%5cb",
        "/openai/v1/%252e%252e/x", "/anthropic/v1/a%25", "/openai/v1/a%00b", "/openai/v1/a%0d%0ab",
        "/openai/v1/a%7F", "/openai/v1/trailing%", "/openai/v1/short%2"})
    EXPECT_EQ(classify_route("GET", p).kind, RouteKind::bad_path) << p;
}

TEST(ClassifyRoute, HarmlessEscapesAreForwarded) {
  Route r = classify_route("GET", "/openai/v1/files/a%20b%40c");
  EXPECT_EQ(r.kind, RouteKind::native);
  EXPECT_EQ(r.upstream_path, "/files/a%20b%40c");
}

TEST(ClassifyRoute, EmptySegmentIsBadPath) {
  EXPECT_EQ(classify_route("GET", "/openai/v1//evil.example/x").kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("GET", "/openai/v1/models/").kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("GET", "/anthropic/v1/a//b").kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("GET", "/gemini/v1beta//models").kind, RouteKind::bad_path);
}

TEST(ClassifyRoute, GeminiModelPathMustEndAtTheMethod) {
  const char* smuggled =
      "/gemini/v1beta/models/cheap:generateContent/"
      "..%2F..%2Fmodels%2Fgemini-2.5-pro:generateContent";
  EXPECT_EQ(classify_route("POST", smuggled).kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("POST", "/gemini/v1beta/models/cheap:generateContent/x").kind,
            RouteKind::bad_path);
  EXPECT_EQ(classify_route("POST", "/gemini/v1beta/models/cheap/x:generateContent").kind,
            RouteKind::bad_path);
  EXPECT_EQ(classify_route("POST", "/gemini/v1beta/models/cheap:a:b").kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("POST", "/gemini/v1beta/models/cheap:").kind, RouteKind::bad_path);
  EXPECT_EQ(classify_route("POST", "/gemini/v1beta/models/:generateContent").kind,
            RouteKind::bad_path);
  EXPECT_EQ(classify_route("POST", "/gemini/v1/models/cheap/x").kind, RouteKind::bad_path);
}

TEST(ClassifyRoute, GeminiTunedModelSubresourceHasNoModel) {
  Route r = classify_route("GET", "/gemini/v1beta/tunedModels/my-model-7/operations");
  EXPECT_EQ(r.kind, RouteKind::native);
  EXPECT_TRUE(r.model.empty());
}

TEST(ClassifyRoute, DotsInsideSegmentAreFine) {
  EXPECT_EQ(classify_route("GET", "/gemini/v1beta/models/gemini-1.5-pro").kind, RouteKind::native);
  EXPECT_EQ(classify_route("GET", "/openai/v1/files/.../x").kind, RouteKind::native);
}

TEST(ClassifyRoute, MissUnderProviderPrefixUsesItsFlavor) {
  EXPECT_EQ(classify_route("POST", "/anthropic/v2/messages").flavor, ApiFlavor::anthropic);
  EXPECT_EQ(classify_route("POST", "/gemini/nope").flavor, ApiFlavor::gemini);
  EXPECT_EQ(classify_route("POST", "/nope").flavor, ApiFlavor::openai);
}

TEST(ClassifyRoute, HealthEndpointsAreOperational) {
  EXPECT_EQ(classify_route("GET", "/healthz").endpoint, Endpoint::healthz);
  EXPECT_EQ(classify_route("GET", "/readyz").endpoint, Endpoint::readyz);
  EXPECT_EQ(classify_route("GET", "/metrics").endpoint, Endpoint::metrics);
  EXPECT_EQ(classify_route("HEAD", "/healthz").kind, RouteKind::operational);
}

TEST(ClassifyRoute, PostToHealthzIsMethodNotAllowed) {
  Route r = classify_route("POST", "/healthz");
  EXPECT_EQ(r.kind, RouteKind::method_not_allowed);
  EXPECT_EQ(r.allow, "GET, HEAD");
}

TEST(ClassifyRoute, AdminAcceptsAnyMethodWithSubpath) {
  Route r = classify_route("DELETE", "/admin/keys/bot");
  EXPECT_EQ(r.kind, RouteKind::operational);
  EXPECT_EQ(r.endpoint, Endpoint::admin);
  EXPECT_EQ(r.subpath, "/keys/bot");
  EXPECT_EQ(classify_route("GET", "/admin").subpath, "");
}

TEST(ClassifyRoute, UiServesItsSubpaths) {
  Route r = classify_route("GET", "/ui/app.js");
  EXPECT_EQ(r.endpoint, Endpoint::ui);
  EXPECT_EQ(r.subpath, "/app.js");
  EXPECT_EQ(classify_route("GET", "/ui").endpoint, Endpoint::ui);
}

TEST(ClassifyRoute, UnknownPathIsNotFound) {
  EXPECT_EQ(classify_route("GET", "/").kind, RouteKind::not_found);
  EXPECT_EQ(classify_route("GET", "").kind, RouteKind::not_found);
  EXPECT_EQ(classify_route("GET", "/favicon.ico").kind, RouteKind::not_found);
}

}  // namespace
}  // namespace sluice::route
