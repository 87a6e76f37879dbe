#include "sluice/auth/extract_key.h"

namespace sluice::auth {
namespace {

using http::iequals;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// First non-empty credential in a header called `name`; `bearer` strips the scheme.
std::string_view header_key(std::span<const http::Header> headers, std::string_view name,
                            bool bearer) {
  for (const http::Header& h : headers) {
    if (!iequals(h.name, name)) continue;
    std::string_view v = trim(h.value);
    if (bearer) {
      constexpr std::string_view kScheme = "bearer";
      if (v.size() <= kScheme.size() || !iequals(v.substr(0, kScheme.size()), kScheme) ||
          (v[kScheme.size()] != ' ' && v[kScheme.size()] != '\t')) {
        continue;  // another scheme: not ours
      }
      v = trim(v.substr(kScheme.size()));
    }
    if (!v.empty()) return v;
  }
  return {};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form decoding; a '%' not followed by two hex digits is kept as it is, like browsers.
std::string_view url_decode(std::string_view raw, std::string& scratch) {
  if (raw.find_first_of("%+") == std::string_view::npos) return raw;
  scratch.clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '+') {
      scratch.push_back(' ');
    } else if (c == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 &&
               hex_value(raw[i + 2]) >= 0) {
      scratch.push_back(static_cast<char>(hex_value(raw[i + 1]) << 4 | hex_value(raw[i + 2])));
      i += 2;
    } else {
      scratch.push_back(c);
    }
  }
  return scratch;
}

// A query parameter's name compared as a server decodes it: "%6Bey" and "k%65y" are
// "key" to a provider's parser, so they are "key" here too.
bool name_is(std::string_view raw_name, std::string_view name) {
  if (raw_name.find_first_of("%+") == std::string_view::npos) return raw_name == name;
  std::string scratch;
  return url_decode(raw_name, scratch) == name;
}

}  // namespace

std::string_view query_param(std::string_view query, std::string_view name, bool* found) {
  if (found != nullptr) *found = false;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (!name_is(pair.substr(0, eq), name)) continue;
    if (found != nullptr) *found = true;
    return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
  }
  return {};
}

std::string query_without_key(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty() || name_is(pair.substr(0, pair.find('=')), "key")) continue;
    if (!out.empty()) out.push_back('&');
    out.append(pair);
  }
  return out;
}

PresentedKey extract_key(std::span<const http::Header> headers, std::string_view query,
                         std::string& scratch) {
  if (auto k = header_key(headers, "authorization", true); !k.empty()) {
    return {k, KeySource::bearer};
  }
  if (auto k = header_key(headers, "x-api-key", false); !k.empty()) {
    return {k, KeySource::x_api_key};
  }
  if (auto k = header_key(headers, "x-goog-api-key", false); !k.empty()) {
    return {k, KeySource::x_goog_api_key};
  }
  if (auto raw = query_param(query, "key"); !raw.empty()) {
    std::string_view k = url_decode(raw, scratch);
    if (!k.empty()) return {k, KeySource::query};
  }
  return {};
}

}  // namespace sluice::auth
