// Gateway::prepare_upstream: what one target of an alias is sent, for a client of any of
// the three formats (docs/TRANSLATION.md). Same format: the body as sent, model
// rewritten, on the provider's own path (byte-exact answers). Another format: the body
// translated into the provider's, on the provider's path, and the answer translated
// back by the relay (proxy_translate.cc). Used by the unified routes and by fallbacks.
#include "sluice/auth/extract_key.h"
#include "sluice/flow/gateway.h"
#include "sluice/relay/settle.h"
#include "sluice/route/inspect.h"
#include "sluice/route/rewrite.h"

namespace sluice::flow {
namespace {

bool translatable(route::Endpoint e) {
  return e == route::Endpoint::chat_completions || e == route::Endpoint::messages ||
         e == route::Endpoint::generate_content;
}

// The provider's own path for a generation request in its format. The OpenAI one is
// relative to its base URL, which ends in /v1 (route.h, upstream_path).
std::string provider_path(route::ApiFlavor provider, std::string_view model, bool stream) {
  switch (provider) {
    case route::ApiFlavor::anthropic:
      return "/v1/messages";
    case route::ApiFlavor::gemini: {
      std::string path = "/v1beta/models/";
      path += model;
      path += stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
      return path;
    }
    case route::ApiFlavor::openai:
      break;
  }
  return "/chat/completions";
}

// OpenAI chat and completions streams report usage only when asked.
bool openai_usage_option(const route::Route& r) {
  return r.endpoint == route::Endpoint::chat_completions ||
         r.endpoint == route::Endpoint::completions;
}

std::string_view flavor_word(route::ApiFlavor f) {
  switch (f) {
    case route::ApiFlavor::anthropic:
      return "an anthropic";
    case route::ApiFlavor::gemini:
      return "a gemini";
    case route::ApiFlavor::openai:
      break;
  }
  return "an openai";
}

}  // namespace

std::optional<Refusal> Gateway::prepare_upstream(const route::Route& route, const net::Exchange& ex,
                                                 const route::BodyInfo& body,
                                                 const route::TargetPick& pick,
                                                 std::string_view alias, Upstream& out) {
  route::ApiFlavor client = route.flavor;
  route::ApiFlavor provider = route::flavor_of(pick.provider->kind);
  std::string_view model = pick.target->model;
  out = Upstream{};
  if (client == provider) {
    route::RewriteSpec spec;
    switch (client) {
      case route::ApiFlavor::openai:
        out.path = route.upstream_path;
        spec.upstream_model = model;
        spec.request_usage = body.stream && !body.include_usage && openai_usage_option(route);
        out.hide_usage_chunk = spec.request_usage;
        break;
      case route::ApiFlavor::anthropic:
        out.path = route.endpoint == route::Endpoint::count_tokens ? "/v1/messages/count_tokens"
                                                                   : "/v1/messages";
        spec.upstream_model = model;
        break;
      case route::ApiFlavor::gemini:  // the model is in the path; the body goes as sent
        path_ = "/v1beta/models/";
        path_ += model;
        path_ += ':';
        path_ += route.gemini_method;
        out.path = path_;
        out.body = ex.body();
        return std::nullopt;
    }
    route::rewrite_body(ex.body(), body, spec, scratch_);
    out.body = scratch_;
    return std::nullopt;
  }
  if (!translatable(route.endpoint))
    return Refusal{route::ErrorClass::bad_request,
                   "model " + std::string(alias) + " is served by " +
                       std::string(flavor_word(provider)) +
                       " provider, and this endpoint is not translated to its format"};
  translate::RequestOptions options;
  options.model = model;
  options.default_max_tokens = pick.model->default_max_tokens;
  options.refuse_unsupported = pick.model->refuse_unsupported;
  options.stream = route.stream;
  translate::RequestOut t = translate::translate_request(client, provider, ex.body(), options);
  if (!t.ok) return Refusal{t.error, std::move(t.message)};
  bool stream = client == route::ApiFlavor::gemini ? route.stream : t.stream;
  // An OpenAI provider's stream reports usage only when asked: the translator's OpenAI
  // writer always asks (the stream translator decides what the client sees of it).
  scratch_ = std::move(t.body);
  out.body = scratch_;
  path_ = provider_path(provider, model, stream);
  out.path = path_;
  out.translation.on = true;
  out.translation.provider = provider;
  out.translation.stream = stream;
  out.translation.include_usage = t.include_usage;
  out.translation.gemini_sse =
      client != route::ApiFlavor::gemini || auth::query_param(ex.head().query, "alt") == "sse";
  out.translation.model = std::string(alias);
  for (const std::string& name : t.dropped) {
    if (!out.dropped.empty()) out.dropped += ", ";
    out.dropped += name;
  }
  return std::nullopt;
}

// count_tokens for an alias whose provider cannot count Anthropic-format tokens: the
// gateway's own estimate, marked as one.
void Gateway::estimate_count(ClientRequest& r, const route::BodyInfo& body,
                             const config::Provider& provider) {
  uint64_t tokens = relay::estimate_tokens(body.input_chars, &provider);
  if (tokens == 0) tokens = 1;
  r.response_headers += "x-sluice-token-count: estimated\r\n";
  respond_json(r, 200, "{\"input_tokens\":" + std::to_string(tokens) + "}");
}

}  // namespace sluice::flow
