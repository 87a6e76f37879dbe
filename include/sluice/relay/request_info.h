#pragma once
// What the gateway knows about one request as it moves through the stages: who asked,
// where it went, and how it ended. Filled by the stages, read by settlement and the
// access log.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/config/config.h"
#include "sluice/limit/shard_limiter.h"
#include "sluice/telemetry/traceparent.h"

namespace sluice::telemetry {
class ContentCapture;
}

namespace sluice::relay {

struct RequestInfo {
  std::string request_id;
  uint64_t arrival_ns = 0;  // mono clock
  uint64_t ts_ms = 0;       // wall clock at arrival
  std::string key_id;
  // The key's own entry (its model list): from the snapshot the request holds, config
  // or run-time key alike, so a fallback checks the same permissions. Null: no key.
  const config::Key* key = nullptr;
  std::string project;
  std::string_view route;  // "chat_completions", "anthropic", "healthz", ...: a static name
  std::string alias;       // model alias (unified) or the model named (native)
  std::string provider;
  std::string upstream_model;
  std::string upstream_request_id;  // the provider's id for the last try, when it sent one
  bool stream = false;
  uint64_t bytes_in = 0;           // request body bytes
  uint64_t input_chars = 0;        // characters of prompt text, for estimating input tokens
  uint64_t max_output_tokens = 0;  // the body's max_tokens (times n); 0: not given
  limit::Ticket ticket;            // what admission reserved, until settlement
  const void* price = nullptr;     // config::Price of the model, when known
  uint32_t snapshot = 0;           // the shard's GatewayState generation it was dispatched under
  uint64_t dispatch_ns = 0;        // when the request was handed to the upstream connection
  // The account whose in-flight count (the shard's ModelRouter, headroom) holds this
  // request; null: none.
  const config::Provider* counted = nullptr;
  int status = 0;
  std::string error_class;
  // Trace export only (empty otherwise): the method, and the caller's `traceparent`.
  std::string method;
  telemetry::TraceParent trace;
  bool has_trace = false;
  // telemetry.capture_content for this request's project: the prompt and completion
  // for its span. Null (the default) costs nothing.
  std::shared_ptr<telemetry::ContentCapture> capture;
};

}  // namespace sluice::relay
