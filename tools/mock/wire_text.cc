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

namespace {
// The argument text of call `call`, split where a streaming provider might split it.
void append_args_text(std::string& out, uint32_t call, uint32_t piece, bool all, bool escaped) {
  std::string_view q = escaped ? "\\\"" : "\"";
  if (all || piece == 0) {
    out += '{';
    out += q;
    out += "city";
    out += q;
    out += ':';
  }
  if (all || piece == 1) {
    out += q;
    out += "Paris";
    out += q;
    out += ',';
  }
  if (all || piece == 2) {
    out += q;
    out += 'n';
    out += q;
    out += ':';
    append_uint(out, call);
    out += '}';
  }
}
}  // namespace

void append_tool_args(std::string& out, uint32_t call) {
  append_args_text(out, call, 0, true, false);
}
void append_tool_args_escaped(std::string& out, uint32_t call) {
  append_args_text(out, call, 0, true, true);
}
void append_tool_args_piece(std::string& out, uint32_t call, uint32_t piece, bool escaped) {
  append_args_text(out, call, piece, false, escaped);
}

void append_thinking_text(std::string& out, uint32_t index) {
  out += index == 0 ? "think" : " think";
  append_uint(out, index);
}

void append_full_thinking(std::string& out) {
  for (uint32_t i = 0; i < kThinkingTokens; ++i) append_thinking_text(out, i);
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
