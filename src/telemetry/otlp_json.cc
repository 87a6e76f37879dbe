// OTLP/JSON (opentelemetry-proto's JSON mapping): ids are lowercase hex, 64-bit
// integers are decimal strings, enums are numbers.
#include <charconv>

#include "sluice/route/json_string.h"
#include "sluice/telemetry/span.h"

namespace sluice::telemetry {
namespace {
constexpr int kSpanKindServer = 2;
constexpr int kStatusUnset = 0;
constexpr int kStatusError = 2;

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

class Attributes {
 public:
  explicit Attributes(std::string& out) : out_(out) { out_ += "\"attributes\":["; }
  ~Attributes() { out_ += ']'; }
  void str(std::string_view key, std::string_view value) {
    if (value.empty()) return;  // an attribute we do not know is left out, not empty
    begin(key);
    out_ += "{\"stringValue\":";
    route::append_json_string(out_, value);
    out_ += "}}";
  }
  void integer(std::string_view key, uint64_t value) {
    begin(key);
    out_ += "{\"intValue\":\"";
    append_uint(out_, value);
    out_ += "\"}}";
  }
  void boolean(std::string_view key, bool value) {
    begin(key);
    out_ += value ? "{\"boolValue\":true}}" : "{\"boolValue\":false}}";
  }

 private:
  void begin(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += "{\"key\":";
    route::append_json_string(out_, key);
    out_ += ",\"value\":";
  }
  std::string& out_;
  bool first_ = true;
};

std::string span_name(const SpanRecord& s) {
  if (s.operation.empty()) return s.method + " " + s.route;
  return s.request_model.empty() ? s.operation : s.operation + " " + s.request_model;
}

void append_span(std::string& out, const SpanRecord& s) {
  out += "{\"traceId\":\"";
  append_hex(out, s.trace_id.data(), s.trace_id.size());
  out += "\",\"spanId\":\"";
  append_hex(out, s.span_id.data(), s.span_id.size());
  out += '"';
  if (s.has_parent) {
    out += ",\"parentSpanId\":\"";
    append_hex(out, s.parent_id.data(), s.parent_id.size());
    out += '"';
  }
  out += ",\"name\":";
  route::append_json_string(out, span_name(s));
  out += ",\"kind\":";
  append_uint(out, kSpanKindServer);
  out += ",\"startTimeUnixNano\":\"";
  append_uint(out, s.start_unix_ns);
  out += "\",\"endTimeUnixNano\":\"";
  append_uint(out, s.end_unix_ns);
  out += "\",";
  {
    Attributes a(out);
    a.str("gen_ai.operation.name", s.operation);
    a.str("gen_ai.provider.name", s.provider_name);
    a.str("gen_ai.system", s.provider_name);
    a.str("gen_ai.request.model", s.request_model);
    a.str("gen_ai.response.model", s.response_model);
    if (s.has_usage) {
      a.integer("gen_ai.usage.input_tokens", s.input_tokens);
      a.integer("gen_ai.usage.output_tokens", s.output_tokens);
    }
    a.str("http.request.method", s.method);
    a.integer("http.response.status_code", static_cast<uint64_t>(s.status < 0 ? 0 : s.status));
    a.str("error.type", s.error_class);
    a.str("sluice.route", s.route);
    a.str("sluice.provider", s.provider);
    a.str("sluice.project", s.project);
    a.str("sluice.key_id", s.key_id);
    a.str("sluice.request_id", s.request_id);
    a.boolean("sluice.stream", s.stream);
    a.str("gen_ai.system_instructions", s.system_instructions);
    a.str("gen_ai.input.messages", s.input_messages);
    a.str("gen_ai.output.messages", s.output_messages);
    if (s.content_truncated) a.boolean("sluice.content_truncated", true);
  }
  // Server spans: a 5xx is an error of this span; a 4xx is the client's (semconv).
  out += ",\"status\":{\"code\":";
  append_uint(out, s.status >= 500 ? kStatusError : kStatusUnset);
  out += "}}";
}
}  // namespace

std::string encode_otlp_json(std::span<const SpanRecord> spans, std::string_view service_name) {
  std::string out;
  out.reserve(256 + spans.size() * 900);
  out += "{\"resourceSpans\":[{\"resource\":{";
  {
    Attributes a(out);
    a.str("service.name", service_name);
  }
  out += "},\"scopeSpans\":[{\"scope\":{\"name\":\"sluice\",\"version\":\"" SLUICE_VERSION
         "\"},\"spans\":[";
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i) out += ',';
    append_span(out, spans[i]);
  }
  out += "]}]}]}";
  return out;
}

}  // namespace sluice::telemetry
