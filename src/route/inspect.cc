#include "sluice/route/inspect.h"

#include <array>
#include <cassert>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "sluice/core/json_string.h"

// rapidjson 1.1.0 (Debian's) adds an offset to its parse stack's null pointer before the
// first allocation, which clang's UBSan reports on every parse in the fuzz build. The
// result is only compared, never dereferenced, so that check is off for rapidjson's
// code alone (the standard headers it needs are included above, outside the pragma).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif

namespace sluice::route::detail {

// The body's stream, as a type of its own so that the reader below copies a run of
// ordinary string characters eight at a time for this parse alone.
struct BodyStream : rapidjson::MemoryStream {
  BodyStream(const char* text, size_t size) : rapidjson::MemoryStream(text, size) {}
};

}  // namespace sluice::route::detail

// rapidjson scans a string byte by byte (Peek, three tests, Put) unless it has SIMD code
// for the stream; this is that hook for the stream above: the run up to the first quote,
// backslash or control character (or the end) in one move. What stops it is left to
// rapidjson, so verdicts are rapidjson's own.
template <>
template <>
inline void rapidjson::Reader::ScanCopyUnescapedString<sluice::route::detail::BodyStream,
                                                       rapidjson::Reader::StackStream<char>>(
    sluice::route::detail::BodyStream& is, rapidjson::Reader::StackStream<char>& os) {
  const char* p = is.src_ + sluice::core::plain_string_run(is.src_, is.end_);
  const auto n = static_cast<rapidjson::SizeType>(p - is.src_);
  if (n == 0) return;
  std::memcpy(os.Push(n), is.src_, n);
  is.src_ = p;
}

namespace sluice::route {
namespace {

// Top-level members policy reads. Each appears at most once (duplicate_key).
enum class Field : uint8_t {
  other,
  model,
  stream,
  stream_options,
  max_tokens,
  max_completion_tokens,
  max_output_tokens,
  n,
  generation_config,
  // below: not policy fields, only counted
  input_text,    // messages, system, instructions, contents, systemInstruction, tools
  input_tokens,  // prompt, input: text or pre-tokenized arrays
};

// Members of stream_options / generationConfig that policy reads.
enum class SubField : uint8_t { other, include_usage, max_output_tokens, candidate_count };

Field field_of(std::string_view k) {
  if (k == "model") return Field::model;
  if (k == "stream") return Field::stream;
  if (k == "messages" || k == "system" || k == "instructions" || k == "contents" ||
      k == "systemInstruction" || k == "system_instruction" || k == "tools") {
    return Field::input_text;
  }
  if (k == "prompt" || k == "input") return Field::input_tokens;
  if (k == "max_tokens") return Field::max_tokens;
  if (k == "max_completion_tokens") return Field::max_completion_tokens;
  if (k == "max_output_tokens") return Field::max_output_tokens;
  if (k == "stream_options") return Field::stream_options;
  // Google's JSON mapping accepts the proto field names too; both are one field.
  if (k == "generationConfig" || k == "generation_config") return Field::generation_config;
  if (k == "n") return Field::n;
  return Field::other;
}

std::string_view field_name(Field f) {
  switch (f) {
    case Field::model:
      return "model";
    case Field::stream:
      return "stream";
    case Field::stream_options:
      return "stream_options";
    case Field::max_tokens:
      return "max_tokens";
    case Field::max_completion_tokens:
      return "max_completion_tokens";
    case Field::max_output_tokens:
      return "max_output_tokens";
    case Field::n:
      return "n";
    case Field::generation_config:
      return "generationConfig";
    default:
      return "";
  }
}

bool is_inline_data_key(std::string_view k) {
  return k == "data" || k == "url" || k == "image_url" || k == "file_data";
}

uint64_t code_points(const char* s, size_t len) {
  uint64_t n = 0;
  for (size_t i = 0; i < len; ++i) n += (static_cast<uint8_t>(s[i]) & 0xC0) != 0x80;
  return n;
}

// A JSON scalar as the SAX callbacks deliver it.
struct Scalar {
  enum Kind : uint8_t { null, boolean, integer, negative, real, string } kind;
  bool b = false;
  uint64_t u = 0;
  const char* s = nullptr;
  size_t len = 0;
};

class Inspector : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Inspector> {
 public:
  Inspector(std::string_view body, const rapidjson::MemoryStream& stream, BodyInfo& out)
      : body_(body), stream_(stream), out_(out) {}

  InspectStatus status() const { return status_; }
  const std::string& message() const { return message_; }

  bool Null() { return scalar({Scalar::null}); }
  bool Bool(bool b) { return scalar({Scalar::boolean, b}); }
  bool Int(int i) { return i < 0 ? scalar({Scalar::negative}) : Uint64(static_cast<uint64_t>(i)); }
  bool Uint(unsigned u) { return Uint64(u); }
  bool Int64(int64_t i) {
    return i < 0 ? scalar({Scalar::negative}) : Uint64(static_cast<uint64_t>(i));
  }
  bool Uint64(uint64_t u) { return scalar({Scalar::integer, false, u}); }
  bool Double(double) { return scalar({Scalar::real}); }
  bool String(const char* s, rapidjson::SizeType len, bool) {
    return scalar({Scalar::string, false, 0, s, len});
  }

  bool StartObject() { return open(true); }
  bool StartArray() { return open(false); }
  bool EndObject(rapidjson::SizeType members) { return close(members); }
  bool EndArray(rapidjson::SizeType) { return close(0); }

  bool Key(const char* s, rapidjson::SizeType len, bool) {
    std::string_view k(s, len);
    frames_[depth_ - 1].skip_strings = is_inline_data_key(k);
    key_end_ = pos();
    if (depth_ == 1) {
      top_ = field_of(k);
      sub_ = SubField::other;
      if (top_ != Field::other && top_ < Field::input_text) {
        const uint32_t bit = 1u << static_cast<unsigned>(top_);
        if (seen_ & bit)
          return fail(InspectStatus::duplicate_key, duplicate_message(field_name(top_)));
        seen_ |= bit;
      }
    } else if (depth_ == 2 && in_sub_object()) {
      sub_ = SubField::other;
      if (top_ == Field::stream_options && k == "include_usage") {
        sub_ = SubField::include_usage;
      } else if (top_ == Field::generation_config &&
                 (k == "maxOutputTokens" || k == "max_output_tokens")) {
        sub_ = SubField::max_output_tokens;
      } else if (top_ == Field::generation_config &&
                 (k == "candidateCount" || k == "candidate_count")) {
        sub_ = SubField::candidate_count;
      }
      if (sub_ != SubField::other) {
        const uint32_t bit = 1u << static_cast<unsigned>(sub_);
        if (sub_seen_ & bit)
          return fail(InspectStatus::duplicate_key, duplicate_message(sub_name()));
        sub_seen_ |= bit;
      }
    }
    return true;
  }

 private:
  struct Frame {
    bool object = false;
    bool skip_strings = false;  // object whose current key holds inline data
  };

  // Just after the token the reader last delivered. Containers differ: the iterative
  // reader (kParseIterativeFlag, which inspect_body always uses) calls StartObject,
  // StartArray, EndObject and EndArray before it consumes the bracket, so there
  // pos() is the bracket itself.
  size_t pos() const { return stream_.Tell(); }

  // The first byte of the value after the last key: skip whitespace, ':', whitespace.
  size_t value_begin() const {
    size_t i = key_end_;
    while (i < body_.size() && (body_[i] == ' ' || body_[i] == '\t' || body_[i] == '\n' ||
                                body_[i] == '\r' || body_[i] == ':')) {
      ++i;
    }
    return i;
  }

  bool in_sub_object() const {
    return (top_ == Field::stream_options || top_ == Field::generation_config) && frames_[1].object;
  }

  std::string_view sub_name() const {
    switch (sub_) {
      case SubField::include_usage:
        return "stream_options.include_usage";
      case SubField::max_output_tokens:
        return "generationConfig.maxOutputTokens";
      case SubField::candidate_count:
        return "generationConfig.candidateCount";
      case SubField::other:
        break;
    }
    return "";
  }

  static std::string duplicate_message(std::string_view name) {
    return "\"" + std::string(name) + "\" appears more than once";
  }

  bool fail(InspectStatus status, std::string message) {
    status_ = status;
    message_ = std::move(message);
    return false;
  }

  bool wrong_type(std::string_view name, std::string_view expected) {
    return fail(InspectStatus::wrong_type,
                "\"" + std::string(name) + "\" must be " + std::string(expected));
  }

  bool open(bool object) {
    if (depth_ == 0 && !object) {
      return fail(InspectStatus::not_an_object, "request body must be a JSON object");
    }
    if (depth_ == kMaxInspectDepth) {
      return fail(InspectStatus::too_deep,
                  "request body nests deeper than " + std::to_string(kMaxInspectDepth) + " levels");
    }
    if (depth_ == 0) {
      out_.root_open = pos();
      out_.last_member_end = pos() + 1;
    } else if (depth_ == 1) {
      if (!top_value_may_be_container(object)) return false;
      if (top_ == Field::stream_options) {
        out_.stream_options_value.begin = pos();
        out_.stream_options_is_object = true;
        sub_seen_ = 0;
      } else if (top_ == Field::generation_config) {
        sub_seen_ = 0;
      }
    } else if (depth_ == 2 && in_sub_object() && sub_ != SubField::other) {
      return wrong_type(sub_name(), sub_ == SubField::include_usage ? "a boolean" : "an integer");
    }
    frames_[depth_++] = Frame{object, false};
    return true;
  }

  bool top_value_may_be_container(bool object) {
    switch (top_) {
      case Field::model:
        return wrong_type("model", "a string");
      case Field::stream:
        return wrong_type("stream", "a boolean");
      case Field::max_tokens:
      case Field::max_completion_tokens:
      case Field::max_output_tokens:
        return wrong_type(field_name(top_), "a non-negative integer");
      case Field::n:
        return wrong_type("n", "a positive integer");
      case Field::stream_options:
      case Field::generation_config:
        return object || wrong_type(field_name(top_), "an object");
      default:
        return true;
    }
  }

  bool close(rapidjson::SizeType members) {
    --depth_;
    if (depth_ == 0) {
      out_.root_empty = members == 0;
    } else if (depth_ == 1) {
      out_.last_member_end = pos() + 1;
      if (top_ == Field::stream_options) {
        out_.stream_options_value.end = pos() + 1;
        out_.stream_options_empty = members == 0;
      }
    }
    return true;
  }

  bool scalar(const Scalar& v) {
    if (depth_ == 0) {
      return fail(InspectStatus::not_an_object, "request body must be a JSON object");
    }
    if (depth_ == 1) {
      out_.last_member_end = pos();
      return top_scalar(v);
    }
    if (depth_ == 2 && in_sub_object() && sub_ != SubField::other) return sub_scalar(v);
    count_input(v);
    return true;
  }

  void count_input(const Scalar& v) {
    if (top_ == Field::input_text || top_ == Field::input_tokens) {
      if (v.kind == Scalar::string && !frames_[depth_ - 1].skip_strings) {
        out_.input_chars += code_points(v.s, v.len);
      } else if (v.kind == Scalar::integer && top_ == Field::input_tokens) {
        ++out_.input_token_ids;
      }
    }
  }

  bool max_tokens(const Scalar& v, std::string_view name) {
    if (v.kind == Scalar::null) return true;
    if (v.kind != Scalar::integer) return wrong_type(name, "a non-negative integer");
    if (!out_.has_max_output_tokens || v.u > out_.max_output_tokens) {
      out_.max_output_tokens = v.u;
    }
    out_.has_max_output_tokens = true;
    return true;
  }

  bool choices(const Scalar& v, std::string_view name) {
    if (v.kind == Scalar::null) return true;
    if (v.kind != Scalar::integer || v.u == 0 || v.u > UINT32_MAX) {
      return wrong_type(name, "a positive integer");
    }
    out_.n = static_cast<uint32_t>(v.u);
    return true;
  }

  bool top_scalar(const Scalar& v) {
    switch (top_) {
      case Field::model:
        if (v.kind == Scalar::null) return true;
        if (v.kind != Scalar::string) return wrong_type("model", "a string");
        out_.has_model = true;
        out_.model.assign(v.s, v.len);
        out_.model_value = {value_begin(), pos()};
        return true;
      case Field::stream:
        if (v.kind == Scalar::null) return true;
        if (v.kind != Scalar::boolean) return wrong_type("stream", "a boolean");
        out_.stream = v.b;
        return true;
      case Field::max_tokens:
      case Field::max_completion_tokens:
      case Field::max_output_tokens:
        return max_tokens(v, field_name(top_));
      case Field::n:
        return choices(v, "n");
      case Field::stream_options:
        if (v.kind != Scalar::null) return wrong_type("stream_options", "an object");
        out_.stream_options_value = {value_begin(), pos()};
        return true;
      case Field::generation_config:
        return v.kind == Scalar::null || wrong_type("generationConfig", "an object");
      default:
        count_input(v);
        return true;
    }
  }

  bool sub_scalar(const Scalar& v) {
    switch (sub_) {
      case SubField::include_usage:
        if (v.kind != Scalar::null && v.kind != Scalar::boolean) {
          return wrong_type(sub_name(), "a boolean");
        }
        out_.include_usage = v.kind == Scalar::boolean && v.b;
        out_.include_usage_value = {value_begin(), pos()};
        return true;
      case SubField::max_output_tokens:
        return max_tokens(v, sub_name());
      case SubField::candidate_count:
        return choices(v, sub_name());
      case SubField::other:
        break;
    }
    return true;
  }

  std::string_view body_;
  const rapidjson::MemoryStream& stream_;
  BodyInfo& out_;
  InspectStatus status_ = InspectStatus::ok;
  std::string message_;
  std::array<Frame, kMaxInspectDepth> frames_;
  size_t depth_ = 0;  // containers open
  Field top_ = Field::other;
  SubField sub_ = SubField::other;
  uint32_t seen_ = 0;      // Field bits met at the top level
  uint32_t sub_seen_ = 0;  // SubField bits met in the current sub-object
  size_t key_end_ = 0;     // just after the closing quote of the last key
};

}  // namespace

InspectResult inspect_body(std::string_view body, BodyInfo& out) {
  out = BodyInfo{};
  detail::BodyStream stream(body.data(), body.size());
  Inspector inspector(body, stream, out);
  // One reader per thread, kept: its stack (where strings are unescaped) keeps its
  // memory between requests, so inspecting allocates nothing once warm. A body too
  // large to keep memory for gets a reader of its own.
  constexpr size_t kKeptReaderBytes = 256 * 1024;
  thread_local rapidjson::Reader kept;
  std::optional<rapidjson::Reader> own;
  rapidjson::Reader& reader = body.size() <= kKeptReaderBytes ? kept : own.emplace();
  // Iterative: nesting depth cannot overflow the stack. No UTF-8 validation: it
  // triples the parse time, and the provider judges encoding anyway; what sluice
  // itself writes from these strings goes through append_json_string.
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag;
  rapidjson::ParseResult parsed = reader.Parse<kFlags>(stream, inspector);
  InspectResult result;
  if (inspector.status() != InspectStatus::ok) {
    result.status = inspector.status();
    result.message = inspector.message();
  } else if (parsed.IsError()) {
    result.status = InspectStatus::malformed_json;
    result.message = std::string("request body is not valid JSON: ") +
                     rapidjson::GetParseError_En(parsed.Code()) + " (at byte " +
                     std::to_string(parsed.Offset()) + ")";
  } else if (stream.Tell() != body.size()) {
    // MemoryStream reads a NUL byte as the end of input; anything after it is junk
    // the provider would see.
    result.status = InspectStatus::malformed_json;
    result.message =
        "request body is not valid JSON: NUL byte at byte " + std::to_string(stream.Tell());
  }
  return result;
}

}  // namespace sluice::route
