#include "sluice/telemetry/otlp_headers.h"

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sluice/config/config.h"

namespace sluice::telemetry {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 9110 tchar.
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  for (char t : std::string_view("!#$%&'*+-.^_`|~"))
    if (c == t) return true;
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool equals_lower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

constexpr std::array<std::string_view, 6> kReserved = {"host",         "content-length",
                                                       "content-type", "content-encoding",
                                                       "connection",   "transfer-encoding"};

// Percent-decodes `in`; false on a broken escape or a decoded control character.
bool decode_value(std::string_view in, std::string& out, std::string& why) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        why = "a '%' in the value is not followed by two hex digits";
        return false;
      }
      c = static_cast<char>(hi << 4 | lo);
      i += 2;
    }
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      why = "the value holds a control character";
      return false;
    }
    out += c;
  }
  return true;
}

}  // namespace

bool parse_otlp_headers(std::string_view text, HeaderList& out, std::string& error) {
  HeaderList list;
  size_t index = 0;
  while (!text.empty()) {
    size_t end = text.find_first_of(",\n");
    std::string_view entry = trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (entry.empty()) continue;
    ++index;
    const std::string where = "header entry " + std::to_string(index);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) {
      error = where + " has no '=' (the form is key=value,key2=value2)";
      return false;
    }
    std::string_view key = trim(entry.substr(0, eq));
    if (key.empty()) {
      error = where + " has no key before '='";
      return false;
    }
    for (char c : key) {
      if (!is_token_char(c)) {
        error = where + ": the key is not a valid header name";
        return false;
      }
    }
    for (std::string_view r : kReserved) {
      if (equals_lower(key, r)) {
        error = where + ": " + std::string(key) + " is set by sluice itself";
        return false;
      }
    }
    std::string value, why;
    if (!decode_value(trim(entry.substr(eq + 1)), value, why)) {
      error = where + " (" + std::string(key) + "): " + why;
      return false;
    }
    list.emplace_back(std::string(key), std::move(value));
  }
  out = std::move(list);
  return true;
}

std::string header_lines(const HeaderList& headers) {
  std::string out;
  for (const auto& [k, v] : headers) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  return out;
}

}  // namespace sluice::telemetry

namespace sluice::telemetry {
namespace {
bool read_whole_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}
}  // namespace

bool load_otlp_headers(const config::Otlp& config, HeaderList& out, std::string& error) {
  out.clear();
  std::string text, where;
  if (!config.headers_env.empty()) {
    where = "environment variable " + config.headers_env;
    const char* v = std::getenv(config.headers_env.c_str());
    if (v == nullptr || *v == '\0') {
      error = where + " is not set";
      return false;
    }
    text = v;
  } else if (!config.headers_file.empty()) {
    const std::string& name = config.headers_file;
    where = "headers_file " + name;
    const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
    bool found = name.front() != '/' && creds && *creds &&
                 read_whole_file(std::string(creds) + "/" + name, text);
    if (!found && !read_whole_file(name, text)) {
      error = "cannot read " + where;
      return false;
    }
  } else {
    return true;
  }
  std::string why;
  if (!parse_otlp_headers(text, out, why)) {
    error = where + ": " + why;
    return false;
  }
  if (out.empty()) {
    error = where + " holds no header";
    return false;
  }
  return true;
}

}  // namespace sluice::telemetry
