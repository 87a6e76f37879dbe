#pragma once
// One finished request as an OpenTelemetry span, with the GenAI semantic-convention
// attributes (docs/TELEMETRY.md), and its OTLP/HTTP JSON encoding.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sluice/telemetry/traceparent.h"

namespace sluice::telemetry {

struct SpanRecord {
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_id{};  // the caller's span from `traceparent`
  bool has_parent = false;
  uint64_t start_unix_ns = 0;
  uint64_t end_unix_ns = 0;
  std::string operation;       // gen_ai.operation.name: chat, text_completion, embeddings, ...
  std::string provider_name;   // gen_ai.provider.name: openai, anthropic, gcp.gemini; "" if none
  std::string provider;        // sluice's provider name from the config
  std::string request_model;   // gen_ai.request.model: what the client asked for (alias)
  std::string response_model;  // gen_ai.response.model: the upstream model
  std::string route;
  std::string method;
  std::string project;
  std::string key_id;
  std::string request_id;
  std::string error_class;  // error.type when sluice made the error
  int status = 0;
  bool stream = false;
  bool has_usage = false;
  uint64_t input_tokens = 0;
  uint64_t output_tokens = 0;
  // With telemetry.capture_content: JSON strings in the GenAI conventions' shape
  // (genai_content.h); empty otherwise.
  std::string system_instructions;  // gen_ai.system_instructions
  std::string input_messages;       // gen_ai.input.messages
  std::string output_messages;      // gen_ai.output.messages
  bool content_truncated = false;   // sluice.content_truncated: a text was cut at the cap

  // Bytes the span holds beyond its fixed size, for the exporter's memory cap.
  size_t heap_bytes() const {
    return operation.size() + provider_name.size() + provider.size() + request_model.size() +
           response_model.size() + route.size() + method.size() + project.size() + key_id.size() +
           request_id.size() + error_class.size() + system_instructions.size() +
           input_messages.size() + output_messages.size();
  }
};

// An ExportTraceServiceRequest in OTLP/JSON: one resource (service.name), one scope
// ("sluice"), the spans in order.
std::string encode_otlp_json(std::span<const SpanRecord> spans, std::string_view service_name);

}  // namespace sluice::telemetry
