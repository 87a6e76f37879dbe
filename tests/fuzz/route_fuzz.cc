// Route classification on arbitrary methods and paths. Beyond "no crash": whatever a
// native route forwards has one reading for every server after sluice (no dot or empty
// segment, no ';', no encoded '/', '\', '%'), every view points into the path, a Gemini
// model path ends at its method, and only the methods provider APIs use pass.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sluice/route/route.h"

namespace {

using namespace sluice::route;

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

bool contains_icase(std::string_view s, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= s.size(); ++i) {
    bool eq = true;
    for (size_t j = 0; j < needle.size() && eq; ++j) {
      char c = s[i + j];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      eq = c == needle[j];
    }
    if (eq) return true;
  }
  return false;
}

bool dot_segment(std::string_view seg) {
  std::string plain;
  for (size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] == '%' && i + 2 < seg.size() && seg[i + 1] == '2' &&
        (seg[i + 2] == 'e' || seg[i + 2] == 'E')) {
      plain += '.';
      i += 2;
    } else {
      plain += seg[i];
    }
  }
  return plain == "." || plain == "..";
}

void check_forwardable(std::string_view up) {
  check(!up.empty() && up.front() == '/');
  check(up.find("//") == std::string_view::npos);
  check(up.back() != '/');
  check(up.find(';') == std::string_view::npos);
  check(!contains_icase(up, "%2F") && !contains_icase(up, "%5C") && !contains_icase(up, "%25"));
  size_t start = 1;
  while (start <= up.size()) {
    size_t slash = up.find('/', start);
    if (slash == std::string_view::npos) slash = up.size();
    check(!dot_segment(up.substr(start, slash - start)));
    start = slash + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first line is the method, the rest the path (as the HTTP parser hands them over).
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view method =
      nl == std::string_view::npos ? std::string_view("GET") : in.substr(0, nl);
  std::string_view path = nl == std::string_view::npos ? in : in.substr(nl + 1);
  Route r = classify_route(method, path);
  check(inside(r.upstream_path, path) && inside(r.model, path) && inside(r.subpath, path) &&
        inside(r.gemini_method, path));
  switch (r.kind) {
    case RouteKind::native:
      check(method == "GET" || method == "POST" || method == "DELETE" || method == "HEAD");
      check_forwardable(r.upstream_path);
      check(r.upstream_path.data() + r.upstream_path.size() == path.data() + path.size());
      if (!r.gemini_method.empty()) {
        check(r.flavor == ApiFlavor::gemini && !r.model.empty());
        check(r.gemini_method.data() + r.gemini_method.size() == path.data() + path.size());
        check(r.gemini_method.find_first_of("/:") == std::string_view::npos);
      }
      if (r.flavor == ApiFlavor::gemini && r.model.substr(0, 12) != "tunedModels/")
        check(r.model.find('/') == std::string_view::npos);
      break;
    case RouteKind::bad_path:
      check(!r.reason.empty());
      break;
    case RouteKind::method_not_allowed:
      check(!r.allow.empty());
      break;
    case RouteKind::unified:
      // The unified Gemini paths: the alias is one segment, its verb one of the two.
      if (r.endpoint == Endpoint::generate_content) {
        check(r.flavor == ApiFlavor::gemini && method == "POST" && !r.model.empty());
        check(r.model.find('/') == std::string_view::npos);
        check(r.gemini_method == "generateContent" || r.gemini_method == "streamGenerateContent");
        check(r.stream == (r.gemini_method == "streamGenerateContent"));
      }
      if (r.endpoint == Endpoint::messages || r.endpoint == Endpoint::count_tokens)
        check(r.flavor == ApiFlavor::anthropic);
      break;
    case RouteKind::operational:
    case RouteKind::not_found:
      break;
  }
  return 0;
}
