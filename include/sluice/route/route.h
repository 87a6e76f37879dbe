#pragma once
// Which handler a request goes to, from its method and path alone (CONTRACT.md,
// HTTP surface). Pure and allocation-free: every view points into `path`.

#include <cstdint>
#include <string_view>

#include "sluice/route/api_flavor.h"

namespace sluice::route {

enum class RouteKind : uint8_t {
  not_found,
  method_not_allowed,  // path known, method not: answer 405 with `Allow: Route::allow`
  unified,             // OpenAI-compatible API; `model` in the body is an alias
  native,              // pass-through to a provider of `Route::provider`
  bad_path,            // a native path sluice will not forward: answer 400 with `Route::reason`
  operational,         // health, metrics, admin, dashboard
};

enum class Endpoint : uint8_t {
  none,
  // unified
  chat_completions,  // POST /v1/chat/completions
  completions,       // POST /v1/completions
  embeddings,        // POST /v1/embeddings
  responses,         // POST /v1/responses
  models,            // GET  /v1/models
  model,             // GET  /v1/models/{alias}  (OpenAI SDK models.retrieve)
  messages,          // POST /v1/messages  (Anthropic format; flavor anthropic)
  count_tokens,      // POST /v1/messages/count_tokens  (Anthropic format)
  generate_content,  // POST /v1beta/models/{alias}:generateContent or
                     //      :streamGenerateContent  (Gemini format; flavor gemini)
  // native
  passthrough,  // anything under a native prefix
  // operational
  healthz,  // GET /healthz
  readyz,   // GET /readyz
  metrics,  // GET /metrics
  admin,    // /admin, /admin/...  (any method; the admin API checks it)
  ui,       // GET /ui, /ui/...
};

struct Route {
  RouteKind kind = RouteKind::not_found;
  Endpoint endpoint = Endpoint::none;
  // The API the client speaks, for error bodies. Set for every kind: a miss under
  // /anthropic/ or /gemini/ is still answered in that provider's envelope.
  ApiFlavor flavor = ApiFlavor::openai;
  // native: the kind of provider the prefix names.
  config::ProviderKind provider = config::ProviderKind::openai;
  // unified and native: what to append to the provider's base_path (config::Provider),
  // following each SDK's base_url convention: OpenAI base URLs end in /v1, Anthropic
  // and Gemini ones do not. So /v1/chat/completions and /openai/v1/chat/completions
  // give "/chat/completions", /anthropic/v1/messages gives "/v1/messages", and
  // /gemini/v1beta/models/m:generateContent gives "/v1beta/models/m:generateContent".
  std::string_view upstream_path;
  // admin and ui: the path below the prefix ("/keys" for /admin/keys), may be empty.
  std::string_view subpath;
  // Gemini native `models/{model}:{method}` (or tunedModels/...), GET
  // /v1/models/{alias} and the unified Gemini paths: the model named by the path.
  std::string_view model;
  std::string_view gemini_method;  // "generateContent", "streamGenerateContent", ...
  // Gemini native and unified: `:streamGenerateContent`. The framing is SSE when the query has
  // alt=sse, a streamed JSON array otherwise (auth::query_param(query, "alt")).
  bool stream = false;
  std::string_view allow;   // method_not_allowed: the methods the path accepts
  std::string_view reason;  // bad_path: why, for the error body (a static string)
};

// `path` is the request path without the query. Matching is exact and
// case-sensitive; no trailing-slash forgiveness. A native path is forwarded only when
// every server after sluice must read it the same way: a "." or ".." segment (also
// percent-encoded), an empty segment, ';', or a percent-encoded '/', '\\', '%' or
// control byte (either case of hex digit) make it a bad_path, so a pass-through can
// never climb out of the provider's base path or name a model other than the one
// checked. Native routes take GET, POST, DELETE and HEAD only.
Route classify_route(std::string_view method, std::string_view path);

}  // namespace sluice::route
