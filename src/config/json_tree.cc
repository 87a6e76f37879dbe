#include "json_tree.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "fields.h"

namespace sluice::config::detail {

namespace {

constexpr unsigned kParseFlags = rapidjson::kParseCommentsFlag |
                                 rapidjson::kParseTrailingCommasFlag |
                                 rapidjson::kParseValidateEncodingFlag;

// What separates two tokens that rapidjson has already accepted: whitespace,
// comments, ',' and ':'. Skipping it from the end of one event finds where the
// next token starts, since the SAX callbacks only run after a token is consumed.
size_t skip_trivia(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    char c = text[pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':') {
      ++pos;
    } else if (c == '/' && pos + 1 < text.size() && text[pos + 1] == '/') {
      size_t end = text.find('\n', pos);
      pos = end == std::string_view::npos ? text.size() : end;
    } else if (c == '/' && pos + 1 < text.size() && text[pos + 1] == '*') {
      size_t end = text.find("*/", pos + 2);
      pos = end == std::string_view::npos ? text.size() : end + 2;
    } else {
      break;
    }
  }
  return pos;
}

// Where a `/*` comment that never closes starts, looking from `pos` over trivia.
size_t unclosed_comment(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    if (text.compare(pos, 2, "/*") == 0) {
      size_t end = text.find("*/", pos + 2);
      if (end == std::string_view::npos) return pos;
      pos = end + 2;
    } else if (text.compare(pos, 2, "//") == 0) {
      size_t end = text.find('\n', pos);
      pos = end == std::string_view::npos ? text.size() : end;
    } else if (std::string_view(" \t\r\n,:").find(text[pos]) != std::string_view::npos) {
      ++pos;
    } else {
      break;
    }
  }
  return std::string_view::npos;
}

const char* syntax_message(rapidjson::ParseErrorCode code) {
  switch (code) {
    case rapidjson::kParseErrorDocumentEmpty:
      return "expected a JSON object, found nothing";
    case rapidjson::kParseErrorDocumentRootNotSingular:
      return "unexpected text after the end of the document";
    case rapidjson::kParseErrorValueInvalid:
      return "invalid value (expected an object, array, string, number, true, false or null)";
    case rapidjson::kParseErrorObjectMissName:
      return "expected a field name in double quotes";
    case rapidjson::kParseErrorObjectMissColon:
      return "expected ':' after the field name";
    case rapidjson::kParseErrorObjectMissCommaOrCurlyBracket:
      return "expected ',' or '}' after the field";
    case rapidjson::kParseErrorArrayMissCommaOrSquareBracket:
      return "expected ',' or ']' after the element";
    case rapidjson::kParseErrorStringUnicodeEscapeInvalidHex:
      return "invalid \\u escape (expected 4 hexadecimal digits)";
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid:
      return "invalid UTF-16 surrogate pair in \\u escape";
    case rapidjson::kParseErrorStringEscapeInvalid:
      return "invalid escape sequence in string";
    case rapidjson::kParseErrorStringMissQuotationMark:
      return "string has no closing quote";
    case rapidjson::kParseErrorStringInvalidEncoding:
      return "invalid UTF-8 in string";
    case rapidjson::kParseErrorNumberTooBig:
      return "number too big";
    case rapidjson::kParseErrorNumberMissFraction:
      return "expected digits after the decimal point";
    case rapidjson::kParseErrorNumberMissExponent:
      return "expected digits in the exponent";
    default:
      return "syntax error";
  }
}

// Builds the Node tree from SAX events, with an explicit stack of open containers.
class TreeBuilder {
 public:
  TreeBuilder(std::string_view text, const rapidjson::MemoryStream& stream)
      : text_(text), stream_(stream) {}

  bool Null() { return add(scalar(Kind::null)); }
  bool Bool(bool b) {
    Node n = scalar(Kind::boolean);
    n.boolean = b;
    return add(std::move(n));
  }
  bool Int(int i) { return Int64(i); }
  bool Uint(unsigned u) { return Uint64(u); }
  bool Int64(int64_t i) {
    // Negating INT64_MIN overflows; take the magnitude in unsigned arithmetic.
    uint64_t magnitude = i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
    return integer(i < 0, magnitude, static_cast<double>(i));
  }
  bool Uint64(uint64_t u) { return integer(false, u, static_cast<double>(u)); }
  bool Double(double d) {
    Node n = number_scalar();
    n.number = d;
    return add(std::move(n));
  }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }  // not enabled
  bool String(const char* s, rapidjson::SizeType length, bool) {
    Node n = scalar(Kind::string);
    n.string.assign(s, length);
    return add(std::move(n));
  }
  bool StartObject() { return open(Kind::object); }
  bool Key(const char* s, rapidjson::SizeType length, bool) {
    Frame& f = open_.back();
    f.key.assign(s, length);
    f.key_offset = next_token();
    f.has_key = true;
    f.duplicate = !f.keys.insert(f.key).second;
    if (f.duplicate) {
      doc_.errors.push_back({f.key_offset, pointer(), "duplicate field " + quote(f.key)});
    }
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(Kind::array); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  // The pointer of the place being parsed: every open container, and the member
  // whose key was read but whose value has not finished.
  std::string pointer() const {
    std::string p;
    for (size_t i = 0; i < open_.size(); ++i) {
      const Frame& f = open_[i];
      bool innermost = i + 1 == open_.size();
      if (f.node.kind == Kind::object && f.has_key) {
        p = child_pointer(p, f.key);
      } else if (f.node.kind == Kind::array && !innermost) {
        p = child_pointer(p, f.node.items.size());
      }
    }
    return p;
  }

  size_t last_end() const { return last_end_; }
  bool too_deep() const { return too_deep_offset_ != kNone; }
  size_t too_deep_offset() const { return too_deep_offset_; }
  JsonDocument take() { return std::move(doc_); }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  struct Frame {
    Node node;
    std::string key;  // last key read in an object
    size_t key_offset = 0;
    bool has_key = false;    // a key waits for its value
    bool duplicate = false;  // that key was seen before: drop its value
    std::unordered_set<std::string> keys;
  };

  size_t next_token() {
    size_t start = skip_trivia(text_, last_end_);
    last_end_ = stream_.Tell();
    return start;
  }

  Node scalar(Kind kind) {
    Node n;
    n.kind = kind;
    n.offset = next_token();
    return n;
  }

  // A number's text runs from its first character to where the stream stopped.
  Node number_scalar() {
    Node n = scalar(Kind::number);
    n.number_text = text_.substr(n.offset, last_end_ - n.offset);
    return n;
  }

  bool integer(bool negative, uint64_t magnitude, double value) {
    Node n = number_scalar();
    n.number = value;
    n.is_integer = true;
    n.negative = negative;
    n.magnitude = magnitude;
    return add(std::move(n));
  }

  bool open(Kind kind) {
    size_t offset = next_token();
    if (open_.size() >= kMaxDepth) {
      too_deep_offset_ = offset;
      return false;
    }
    open_.emplace_back();
    open_.back().node.kind = kind;
    open_.back().node.offset = offset;
    return true;
  }

  bool close() {
    next_token();
    Node n = std::move(open_.back().node);
    open_.pop_back();
    return add(std::move(n));
  }

  bool add(Node n) {
    if (open_.empty()) {
      doc_.root = std::move(n);
      return true;
    }
    Frame& f = open_.back();
    if (f.node.kind == Kind::array) {
      f.node.items.push_back(std::move(n));
    } else {
      if (!f.duplicate) f.node.members.push_back({f.key, f.key_offset, std::move(n)});
      f.has_key = false;
    }
    return true;
  }

  std::string_view text_;
  const rapidjson::MemoryStream& stream_;
  size_t last_end_ = 0;
  size_t too_deep_offset_ = kNone;
  std::vector<Frame> open_;
  JsonDocument doc_;
};

void append_escaped(std::string& out, std::string_view key) {
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string child_pointer(const std::string& parent, std::string_view key) {
  std::string p = parent;
  p += '/';
  append_escaped(p, key);
  return p;
}

std::string child_pointer(const std::string& parent, size_t index) {
  return parent + "/" + std::to_string(index);
}

JsonDocument parse_json(std::string_view text) {
  // rapidjson's streams treat NUL as the end of input, which would silently ignore
  // whatever follows it; refuse it up front.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    JsonDocument doc;
    doc.errors.push_back({nul, "", "NUL byte in the file"});
    return doc;
  }
  rapidjson::MemoryStream stream(text.data(), text.size());
  TreeBuilder builder(text, stream);
  rapidjson::Reader reader;
  rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, builder);
  std::string where = builder.pointer();
  bool too_deep = builder.too_deep();
  size_t too_deep_offset = builder.too_deep_offset();
  JsonDocument doc = builder.take();
  if (result) {
    doc.complete = true;
  } else if (too_deep) {
    doc.errors.push_back(
        {too_deep_offset, where, "nested deeper than " + std::to_string(kMaxDepth) + " levels"});
  } else {
    size_t offset = result.Offset();
    std::string message = syntax_message(result.Code());
    if (result.Code() == rapidjson::kParseErrorValueInvalid) {
      // rapidjson stops inside the bad token ("tru|e"); its start reads better.
      offset = std::min(skip_trivia(text, builder.last_end()), offset);
    } else if (result.Code() == rapidjson::kParseErrorUnspecificSyntaxError) {
      // rapidjson's only two: a comment left open, and a '/' that starts no comment.
      if (size_t open = unclosed_comment(text, builder.last_end());
          open != std::string_view::npos) {
        offset = open;
        message = "comment has no closing */";
      } else {
        offset = offset > 0 ? offset - 1 : 0;
        message = "expected // or /* after '/'";
      }
    } else if (result.Code() == rapidjson::kParseErrorStringEscapeInvalid && offset < text.size() &&
               static_cast<unsigned char>(text[offset]) < 0x20) {
      // rapidjson uses the same code for a raw control character.
      message = "control character in string (write it as an escape such as \\n or \\t)";
    }
    doc.errors.push_back({offset, where, std::move(message)});
  }
  return doc;
}

}  // namespace sluice::config::detail
