#include "sluice/route/route.h"

namespace sluice::route {
namespace {

constexpr std::string_view kPost = "POST";
constexpr std::string_view kGetHead = "GET, HEAD";
// What a provider API is called with; TRACE, OPTIONS, PUT, CONNECT and the like are not
// forwarded (a TRACE would echo the provider key back).
constexpr std::string_view kNativeMethods = "GET, POST, DELETE, HEAD";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// True when `path` is exactly `prefix` or continues below it with '/'.
bool under(std::string_view path, std::string_view prefix, std::string_view& rest) {
  if (!starts_with(path, prefix)) return false;
  rest = path.substr(prefix.size());
  return rest.empty() || rest.front() == '/';
}

// "." or "..", literally or as %2e / %2E.
bool is_dot_segment(std::string_view seg) {
  size_t dots = 0;
  while (!seg.empty()) {
    if (seg.front() == '.') {
      seg.remove_prefix(1);
    } else if (seg.size() >= 3 && seg[0] == '%' && seg[1] == '2' &&
               (seg[2] == 'e' || seg[2] == 'E')) {
      seg.remove_prefix(3);
    } else {
      return false;
    }
    ++dots;
  }
  return dots == 1 || dots == 2;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// A percent-encoded byte that would let the path mean something else to whoever decodes
// it next: '/' and '\\' (new segments), '%' (a second decoding round), control bytes.
bool dangerous_escape(std::string_view esc) {
  if (esc.size() < 3) return true;  // a lone '%': no server decodes it the same way
  char hi = esc[1];
  char lo = lower(esc[2]);
  if (hi == '0' || hi == '1') return true;  // %00-%1F
  if (hi == '7' && lo == 'f') return true;
  if (hi == '2' && (lo == 'f' || lo == '5')) return true;
  return hi == '5' && lo == 'c';
}

// Why a native path may not be forwarded, or empty when it may. Providers and proxies
// between sluice and them normalise paths differently; a path that only has one
// reading is the only one sluice can check (a model in it, its base path) and forward.
std::string_view unsafe_path(std::string_view path) {
  if (path.find(';') != std::string_view::npos) return "path parameters (';') are not allowed";
  for (size_t i = path.find('%'); i != std::string_view::npos; i = path.find('%', i + 1))
    if (dangerous_escape(path.substr(i, 3)))
      return "percent-encoded '/', '\\', '%' or control bytes are not allowed in the path";
  // `path` starts with '/': every segment follows one.
  std::string_view rest = path.substr(1);
  for (;;) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg.empty()) return "empty path segments are not allowed";
    if (is_dot_segment(seg)) return "'.' and '..' path segments are not allowed";
    if (slash == std::string_view::npos) return {};
    rest.remove_prefix(slash + 1);
  }
}

Route with_method(Route r, bool ok, std::string_view allow) {
  if (!ok) {
    r.kind = RouteKind::method_not_allowed;
    r.allow = allow;
  }
  return r;
}

bool get_or_head(std::string_view method) { return method == "GET" || method == "HEAD"; }

// The Google Gen AI SDK with its base URL at sluice's root: `/v1beta/models/{alias}:
// generateContent` or `:streamGenerateContent` (or the same under /v1/models/), the alias
// one path segment.
Route unified_gemini(std::string_view method, std::string_view path, size_t prefix) {
  Route r;
  r.flavor = ApiFlavor::gemini;
  std::string_view tail = path.substr(prefix);  // after "/v1beta/models/" or "/v1/models/"
  size_t colon = tail.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return r;
  std::string_view name = tail.substr(0, colon);
  std::string_view verb = tail.substr(colon + 1);
  if (name.find('/') != std::string_view::npos) return r;
  if (verb != "generateContent" && verb != "streamGenerateContent") return r;
  r.kind = RouteKind::unified;
  r.endpoint = Endpoint::generate_content;
  r.model = name;
  r.gemini_method = verb;
  r.stream = verb == "streamGenerateContent";
  return with_method(r, method == kPost, kPost);
}

Route unified(std::string_view method, std::string_view path) {
  Route r;
  r.kind = RouteKind::unified;
  r.upstream_path = path.substr(3);  // after "/v1"
  if (path == "/v1/chat/completions") {
    r.endpoint = Endpoint::chat_completions;
  } else if (path == "/v1/completions") {
    r.endpoint = Endpoint::completions;
  } else if (path == "/v1/embeddings") {
    r.endpoint = Endpoint::embeddings;
  } else if (path == "/v1/responses") {
    r.endpoint = Endpoint::responses;
  } else if (path == "/v1/messages") {
    r.endpoint = Endpoint::messages;
    r.flavor = ApiFlavor::anthropic;
  } else if (path == "/v1/messages/count_tokens") {
    r.endpoint = Endpoint::count_tokens;
    r.flavor = ApiFlavor::anthropic;
  } else if (path == "/v1/models") {
    r.endpoint = Endpoint::models;
    return with_method(r, method == "GET", "GET");
  } else if (starts_with(path, "/v1/models/") &&
             (path.ends_with(":generateContent") || path.ends_with(":streamGenerateContent"))) {
    // An OpenAI model id may hold ':' too (ft:...): only Gemini's two verbs go there.
    return unified_gemini(method, path, 11);  // Gemini's v1 spelling (the Gen AI SDK's default)
  } else if (starts_with(path, "/v1/models/") && path.size() > 11 &&
             path.find('/', 11) == std::string_view::npos) {
    r.endpoint = Endpoint::model;
    r.model = path.substr(11);
    return with_method(r, method == "GET", "GET");
  } else {
    return Route{};
  }
  return with_method(r, method == kPost, kPost);
}

// Gemini: "/v1beta/models/{model}" or "/v1beta/models/{model}:{method}" exactly, or
// "tunedModels/{model}:{method}" whose model is the whole resource name. Anything else
// under models/ is refused: the per-key model check reads the model from here, so the
// provider must not be able to read another one from the same path.
bool gemini_model(Route& r) {
  std::string_view rest = r.upstream_path;  // "/v1beta/models/..."
  size_t version_end = rest.find('/', 1);
  if (version_end == std::string_view::npos) return true;
  rest.remove_prefix(version_end + 1);
  size_t prefix = 0;
  if (starts_with(rest, "models/")) {
    prefix = 7;
  } else if (starts_with(rest, "tunedModels/")) {
    prefix = 12;
  } else {
    return true;
  }
  std::string_view tail = rest.substr(prefix);
  size_t colon = tail.find(':');
  std::string_view name = tail.substr(0, colon);
  std::string_view method =
      colon == std::string_view::npos ? std::string_view{} : tail.substr(colon + 1);
  bool exact = !name.empty() && name.find('/') == std::string_view::npos &&
               method.find_first_of("/:") == std::string_view::npos &&
               (colon == std::string_view::npos || !method.empty());
  if (!exact) return prefix != 7 && colon == std::string_view::npos;  // tunedModels/{id}/operations
  r.model = prefix == 7 ? name : rest.substr(0, prefix + name.size());
  r.gemini_method = method;
  r.stream = method == "streamGenerateContent";
  return true;
}

bool native_method(std::string_view m) {
  return m == "GET" || m == "POST" || m == "DELETE" || m == "HEAD";
}

Route native(ApiFlavor flavor, std::string_view method, std::string_view upstream) {
  Route r;
  r.flavor = flavor;
  r.kind = RouteKind::bad_path;
  r.reason = unsafe_path(upstream);
  if (!r.reason.empty()) return r;
  r.kind = RouteKind::native;
  r.endpoint = Endpoint::passthrough;
  r.provider = provider_kind_of(flavor);
  r.upstream_path = upstream;
  if (flavor == ApiFlavor::gemini && !gemini_model(r)) {
    Route bad;
    bad.flavor = flavor;
    bad.kind = RouteKind::bad_path;
    bad.reason =
        "Gemini model paths are /{version}/models/{model} or /{version}/models/{model}:{method}";
    return bad;
  }
  return with_method(r, native_method(method), kNativeMethods);
}

Route operational(Endpoint e, std::string_view method, std::string_view subpath, bool any) {
  Route r;
  r.kind = RouteKind::operational;
  r.endpoint = e;
  r.subpath = subpath;
  return with_method(r, any || get_or_head(method), kGetHead);
}

}  // namespace

Route classify_route(std::string_view method, std::string_view path) {
  std::string_view rest;
  if (starts_with(path, "/v1/")) return unified(method, path);
  if (starts_with(path, "/v1beta/models/")) return unified_gemini(method, path, 15);
  if (under(path, "/openai/v1", rest) && !rest.empty()) {
    return native(ApiFlavor::openai, method, rest);
  }
  if (under(path, "/anthropic", rest)) {
    std::string_view after_version;
    if (under(rest, "/v1", after_version) && !after_version.empty()) {
      return native(ApiFlavor::anthropic, method, rest);
    }
    Route miss;
    miss.flavor = ApiFlavor::anthropic;
    return miss;
  }
  if (under(path, "/gemini", rest)) {
    std::string_view after_version;
    if ((under(rest, "/v1beta", after_version) || under(rest, "/v1", after_version)) &&
        !after_version.empty()) {
      return native(ApiFlavor::gemini, method, rest);
    }
    Route miss;
    miss.flavor = ApiFlavor::gemini;
    return miss;
  }
  if (path == "/healthz") return operational(Endpoint::healthz, method, {}, false);
  if (path == "/readyz") return operational(Endpoint::readyz, method, {}, false);
  if (path == "/metrics") return operational(Endpoint::metrics, method, {}, false);
  if (under(path, "/admin", rest)) return operational(Endpoint::admin, method, rest, true);
  if (under(path, "/ui", rest)) return operational(Endpoint::ui, method, rest, false);
  return Route{};
}

}  // namespace sluice::route
