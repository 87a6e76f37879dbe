// Pieces of text every wire format uses: the generated words, numbers, SSE framing.

#include <charconv>

#include "wire_format.h"

namespace sluice::mock {

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

void append_token_text(std::string& out, uint32_t index) {
  // A leading space on every word but the first, as tokenizers split text.
  out += index == 0 ? "tok" : " tok";
  append_uint(out, index);
}

void append_full_text(std::string& out, uint32_t tokens) {
  out.reserve(out.size() + static_cast<size_t>(tokens) * 8);
  for (uint32_t i = 0; i < tokens; ++i) append_token_text(out, i);
}

void append_sse(std::string& out, std::string_view name, std::string_view data) {
  if (!name.empty()) {
    out += "event: ";
    out += name;
    out += '\n';
  }
  out += "data: ";
  out += data;
  out += "\n\n";
}

}  // namespace sluice::mock
