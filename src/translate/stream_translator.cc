// StreamTranslator: the SSE splitter, a reader for the provider's format and a writer for
// the client's. Each provider event is translated when its blank line arrives, so the
// client's bytes leave in the same read that completed the provider's event.

#include "sluice/scan/sse_splitter.h"
#include "sluice/translate/translate.h"
#include "stream_parts.h"

namespace sluice::translate {

namespace stream {

ClientWriter::ClientWriter(ApiFlavor client, const ResponseContext& context)
    : client_(client),
      model_(context.model),
      request_id_(context.request_id),
      created_s_(context.created_s),
      include_usage_(context.include_usage),
      gemini_sse_(context.gemini_sse) {}

void ClientWriter::begin(std::string& out) {
  if (began_ || closed_) return;
  began_ = true;
  on_begin(out);
}

void ClientWriter::text(std::string_view text, std::string& out) {
  if (closed_ || text.empty()) return;
  begin(out);
  on_text(text, out);
}

void ClientWriter::thinking(std::string_view text, std::string& out) {
  if (closed_ || text.empty()) return;
  begin(out);
  on_thinking(text, out);
}

void ClientWriter::signature(std::string_view signature, std::string& out) {
  if (closed_ || signature.empty()) return;
  begin(out);
  on_signature(signature, out);
}

void ClientWriter::part_signature(std::string_view signature, std::string& out) {
  if (closed_ || signature.empty()) return;
  begin(out);
  on_part_signature(signature, out);
}

void ClientWriter::redacted_thinking(std::string_view data, std::string& out) {
  if (closed_ || data.empty()) return;
  begin(out);
  on_redacted_thinking(data, out);
}

void ClientWriter::tool_start(uint32_t call, std::string_view id, std::string_view name,
                              std::string& out) {
  if (closed_) return;
  begin(out);
  if (id.empty()) {
    on_tool_start(call, tool_call_id(client_, request_id_, call), name, out);
  } else {
    on_tool_start(call, id, name, out);
  }
}

void ClientWriter::tool_args(uint32_t call, std::string_view fragment, std::string& out) {
  if (closed_ || fragment.empty()) return;
  begin(out);
  on_tool_args(call, fragment, out);
}

void ClientWriter::tool_end(uint32_t call, std::string& out) {
  if (closed_) return;
  begin(out);
  on_tool_end(call, out);
}

void ClientWriter::stop(FinishReason reason, std::string& out) {
  if (closed_ || stopped_) return;
  begin(out);
  stopped_ = true;
  on_stop(reason, out);
}

void ClientWriter::end(std::string& out) {
  if (closed_) return;
  begin(out);
  closed_ = true;
  on_end(stopped_, out);
}

void ClientWriter::error(ErrorClass error, std::string_view message, std::string& out) {
  if (closed_) return;
  closed_ = true;
  on_error(error, message, out);
}

ErrorClass error_class_from(ApiFlavor provider, std::string_view type) {
  struct Word {
    std::string_view word;
    ErrorClass error;
  };
  static constexpr Word kOpenAi[] = {
      {"invalid_request_error", ErrorClass::bad_request},
      {"authentication_error", ErrorClass::unauthorized},
      {"permission_error", ErrorClass::forbidden},
      {"not_found_error", ErrorClass::not_found},
      {"rate_limit_error", ErrorClass::rate_limited},
      {"insufficient_quota", ErrorClass::budget_exceeded},
      {"server_error", ErrorClass::upstream_error},
  };
  static constexpr Word kAnthropic[] = {
      {"invalid_request_error", ErrorClass::bad_request},
      {"authentication_error", ErrorClass::unauthorized},
      {"permission_error", ErrorClass::forbidden},
      {"not_found_error", ErrorClass::not_found},
      {"rate_limit_error", ErrorClass::rate_limited},
      {"overloaded_error", ErrorClass::provider_degraded},
      {"timeout_error", ErrorClass::upstream_timeout},
      {"api_error", ErrorClass::upstream_error},
  };
  static constexpr Word kGemini[] = {
      {"INVALID_ARGUMENT", ErrorClass::bad_request},
      {"FAILED_PRECONDITION", ErrorClass::bad_request},
      {"UNAUTHENTICATED", ErrorClass::unauthorized},
      {"PERMISSION_DENIED", ErrorClass::forbidden},
      {"NOT_FOUND", ErrorClass::not_found},
      {"RESOURCE_EXHAUSTED", ErrorClass::rate_limited},
      {"UNAVAILABLE", ErrorClass::provider_degraded},
      {"DEADLINE_EXCEEDED", ErrorClass::upstream_timeout},
      {"INTERNAL", ErrorClass::upstream_error},
  };
  auto find = [type](const auto& words) {
    for (const Word& w : words) {
      if (w.word == type) return w.error;
    }
    return ErrorClass::upstream_error;
  };
  switch (provider) {
    case ApiFlavor::anthropic:
      return find(kAnthropic);
    case ApiFlavor::gemini:
      return find(kGemini);
    case ApiFlavor::openai:
      break;
  }
  return find(kOpenAi);
}

bool event_json(const scan::SseEvent& event, json::Document& doc, ClientWriter& writer,
                std::string& out) {
  std::string_view text = event.has_data ? event.data : event.stray;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return false;
  std::string ignored;
  if (!event.truncated && json::parse(text, doc, ignored) && doc.IsObject()) return true;
  writer.error(ErrorClass::upstream_error,
               event.truncated ? "the provider's stream carried an event over the size limit"
                               : "the provider's stream carried an event that is not a JSON object",
               out);
  return false;
}

int64_t CallNumbers::find(uint64_t key) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return static_cast<int64_t>(i);
  }
  return -1;
}

uint32_t CallNumbers::add(uint64_t key) {
  keys_.push_back(key);
  return static_cast<uint32_t>(keys_.size() - 1);
}

namespace {

std::unique_ptr<ProviderReader> make_reader(ApiFlavor provider) {
  switch (provider) {
    case ApiFlavor::anthropic:
      return make_anthropic_reader();
    case ApiFlavor::gemini:
      return make_gemini_reader();
    case ApiFlavor::openai:
      break;
  }
  return make_openai_reader();
}

std::unique_ptr<ClientWriter> make_writer(ApiFlavor client, const ResponseContext& context) {
  switch (client) {
    case ApiFlavor::anthropic:
      return make_anthropic_writer(context);
    case ApiFlavor::gemini:
      return make_gemini_writer(context);
    case ApiFlavor::openai:
      break;
  }
  return make_openai_writer(context);
}

}  // namespace

}  // namespace stream

struct StreamTranslator::Impl {
  scan::SseSplitter sse;
  std::unique_ptr<stream::ProviderReader> reader;
  std::unique_ptr<stream::ClientWriter> writer;
};

StreamTranslator::StreamTranslator(ApiFlavor provider, ApiFlavor client,
                                   const ResponseContext& context)
    : impl_(std::make_unique<Impl>()) {
  impl_->reader = stream::make_reader(provider);
  impl_->writer = stream::make_writer(client, context);
}

StreamTranslator::~StreamTranslator() = default;

void StreamTranslator::feed(std::string_view bytes, std::string& out) {
  Impl& s = *impl_;
  while (!s.writer->closed()) {
    scan::SseStep step = s.sse.step(bytes);
    bytes.remove_prefix(step.consumed);
    if (step.status == scan::SseStatus::need_more) return;
    s.reader->event(s.sse.event(), *s.writer, out);
  }
}

void StreamTranslator::finish(std::string& out) {
  Impl& s = *impl_;
  if (s.writer->closed()) return;
  // The last event may lack its blank line (Gemini's bare error line has none).
  if (s.sse.finish()) s.reader->event(s.sse.event(), *s.writer, out);
  s.reader->finish(*s.writer, out);
}

void StreamTranslator::fail(route::ErrorClass error, std::string_view message, std::string& out) {
  impl_->writer->error(error, message, out);
}

bool StreamTranslator::finished() const { return impl_->writer->closed(); }

std::string_view StreamTranslator::content_type() const { return impl_->writer->content_type(); }

}  // namespace sluice::translate
