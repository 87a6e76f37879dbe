#include "sluice/route/route.h"

namespace sluice::route {
namespace {

constexpr std::string_view kPost = "POST";
constexpr std::string_view kGetHead = "GET, HEAD";

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

bool has_dot_segment(std::string_view path) {
  while (!path.empty()) {
    size_t slash = path.find('/');
    if (is_dot_segment(path.substr(0, slash))) return true;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return false;
}

Route with_method(Route r, bool ok, std::string_view allow) {
  if (!ok) {
    r.kind = RouteKind::method_not_allowed;
    r.allow = allow;
  }
  return r;
}

bool get_or_head(std::string_view method) { return method == "GET" || method == "HEAD"; }

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
  } else if (path == "/v1/models") {
    r.endpoint = Endpoint::models;
    return with_method(r, method == "GET", "GET");
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

// Gemini: "/v1beta/models/{model}:{method}", or "tunedModels/{model}:{method}" whose
// model is the whole resource name.
void gemini_model(Route& r) {
  std::string_view rest = r.upstream_path;  // "/v1beta/models/..."
  size_t version_end = rest.find('/', 1);
  if (version_end == std::string_view::npos) return;
  rest.remove_prefix(version_end + 1);
  size_t prefix = 0;
  if (starts_with(rest, "models/")) {
    prefix = 7;
  } else if (starts_with(rest, "tunedModels/")) {
    prefix = 12;
  } else {
    return;
  }
  std::string_view tail = rest.substr(prefix);
  size_t colon = tail.find(':');
  std::string_view name = tail.substr(0, colon);
  if (name.empty() || name.find('/') != std::string_view::npos) return;
  r.model = prefix == 7 ? name : rest.substr(0, prefix + name.size());
  if (colon != std::string_view::npos) {
    r.gemini_method = tail.substr(colon + 1);
    r.stream = r.gemini_method == "streamGenerateContent";
  }
}

Route native(ApiFlavor flavor, std::string_view upstream) {
  Route r;
  r.flavor = flavor;
  if (has_dot_segment(upstream)) return r;
  r.kind = RouteKind::native;
  r.endpoint = Endpoint::passthrough;
  r.provider = provider_kind_of(flavor);
  r.upstream_path = upstream;
  if (flavor == ApiFlavor::gemini) gemini_model(r);
  return r;
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
  if (under(path, "/openai/v1", rest) && !rest.empty()) {
    return native(ApiFlavor::openai, rest);
  }
  if (under(path, "/anthropic", rest)) {
    std::string_view after_version;
    if (under(rest, "/v1", after_version) && !after_version.empty()) {
      return native(ApiFlavor::anthropic, rest);
    }
    Route miss;
    miss.flavor = ApiFlavor::anthropic;
    return miss;
  }
  if (under(path, "/gemini", rest)) {
    std::string_view after_version;
    if ((under(rest, "/v1beta", after_version) || under(rest, "/v1", after_version)) &&
        !after_version.empty()) {
      return native(ApiFlavor::gemini, rest);
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
