// ProxyExchange's translated answers (docs/TRANSLATION.md): when the client speaks
// another format than the provider, the provider's 2xx body is rewritten on its way to
// the client. The usage scanner still reads the provider's own bytes, so the ledger
// records the provider's counts: event streams feed both from scan_piece
// (proxy_exchange.cc) and are translated event by event, re-framed as chunks of the new
// bytes; a whole body is gathered, parsed once by the translator, and the scanner reads
// usage from that tree. Error answers are rewritten in relay_held (proxy_attempts.cc).
#include "sluice/core/append_number.h"
#include "sluice/core/clock.h"
#include "sluice/relay/proxy_exchange.h"

namespace sluice::relay {

translate::ResponseContext ProxyExchange::response_context() const {
  translate::ResponseContext c;
  c.model = req_.translation.model;
  c.request_id = req_.info.request_id;
  c.created_s = req_.info.ts_ms / 1000;
  if (c.created_s == 0) c.created_s = core::wall_ms() / 1000;
  c.include_usage = req_.translation.include_usage;
  c.gemini_sse = req_.translation.gemini_sse;
  return c;
}

// Sends the client's head for a translated 2xx answer (a stream), or keeps it for when
// the whole body is known (anything else).
void ProxyExchange::start_translation(std::string headers) {
  translating_body_ = true;
  if (req_.translation.stream && sse_) {
    stream_translator_ = std::make_unique<translate::StreamTranslator>(
        req_.translation.provider, req_.flavor, response_context());
    headers += "content-type: ";
    headers.append(stream_translator_->content_type());
    headers += "\r\n";
    ex_->send_head(head_.status, headers, -1, true);
    return;
  }
  whole_headers_ = std::move(headers);
}

namespace {
// A whole body is held until it is complete; no provider's answer comes near this.
constexpr size_t kMaxTranslatedBody = 32u << 20;
}  // namespace

void ProxyExchange::translate_piece(std::string_view plain) {
  if (stream_translator_) {
    scanner_->feed(plain);
    stream_translator_->feed(plain, translated_);
  } else if (translate_overflow_ || whole_body_.size() + plain.size() > kMaxTranslatedBody) {
    // relay_body ends the exchange; the scanner reads what came for the ledger.
    translate_overflow_ = true;
    scanner_->feed(whole_body_);
    scanner_->feed(plain);
    std::string().swap(whole_body_);
  } else {
    whole_body_.append(plain);
  }
}

namespace {
// The provider's usage, read by the scanner from the translator's parse of the body.
struct ScanParsed final : translate::ParsedBody {
  ScanParsed(scan::UsageScanner& s, std::string_view b) : scanner(s), body(b) {}
  void on_parsed(const rapidjson::Value& root) override {
    scanner.finish_parsed(body, root);
    done = true;
  }
  scan::UsageScanner& scanner;
  std::string_view body;
  bool done = false;
};
}  // namespace

// The end of a whole body being translated: unless the translator's parse reached the
// scanner, it reads the bytes itself (a body that is not a JSON object, or never sent).
void ProxyExchange::finish_scan() {
  if (!scanner_) return;
  if (translating_body_ && !stream_translator_ && !translate_overflow_) return;
  scanner_->finish();
}

void ProxyExchange::scan_untranslated() {
  scanner_->feed(whole_body_);
  scanner_->finish();
}

namespace {
// `data` framed as one chunk of the client's chunked body (nothing for no data).
void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  core::append_hex(out, data.size());
  out += "\r\n";
  out += data;
  out += "\r\n";
}
}  // namespace

// What the translator produced so far goes out as one chunk.
void ProxyExchange::send_translated_chunk() {
  if (translated_.empty() || ex_ == nullptr) return;
  result_.bytes_out += translated_.size();
  std::string chunk;
  chunk.reserve(translated_.size() + 16);
  append_chunk(chunk, translated_);
  translated_.clear();
  ex_->send_body(core::Slice::copy_of(std::move(chunk)));
}

// The provider's body ended: the client's stream is closed in its own format, or the
// whole body is translated and sent.
void ProxyExchange::finish_translation() {
  if (stream_translator_) {
    if (ex_ == nullptr) return;
    if (!stream_translator_->finished()) stream_translator_->finish(translated_);
    send_translated_chunk();
    ex_->send_body(core::Slice::from_static("0\r\n\r\n"));
    return;
  }
  if (translate_overflow_) return;
  if (ex_ == nullptr) return scan_untranslated();
  ScanParsed parsed(*scanner_, whole_body_);
  translate::ResponseOut out = translate::translate_response(
      req_.translation.provider, req_.flavor, whole_body_, response_context(), &parsed);
  if (!parsed.done) scan_untranslated();
  whole_body_.clear();
  whole_body_.shrink_to_fit();
  if (!out.ok) {
    route::ErrorClass error = route::ErrorClass::upstream_error;
    result_.status = route::http_status(error);
    req_.info.error_class = route::error_class_name(error);
    std::string headers = "x-sluice-error-class: ";
    headers += route::error_class_name(error);
    headers += "\r\n";
    headers += whole_headers_;
    headers += "content-type: application/json\r\n";
    std::string body = route::error_body(
        req_.flavor, error, "the provider's answer could not be translated: " + out.message);
    ex_->send_head(result_.status, headers, static_cast<int64_t>(body.size()));
    result_.bytes_out += body.size();
    ex_->send_body(core::Slice::copy_of(std::move(body)));
    return;
  }
  whole_headers_ += "content-type: application/json\r\n";
  ex_->send_head(head_.status, whole_headers_, static_cast<int64_t>(out.body.size()));
  result_.bytes_out += out.body.size();
  if (!out.body.empty()) ex_->send_body(core::Slice::copy_of(std::move(out.body)));
}

// A translated stream broke after it began: the client format's error event, then the
// end of the stream, as one last chunk.
bool ProxyExchange::fail_translation(net::Exchange& ex, route::ErrorClass error,
                                     std::string_view message) {
  stream_translator_->fail(error, message, translated_);
  result_.bytes_out += translated_.size();
  std::string chunk;
  append_chunk(chunk, translated_);
  translated_.clear();
  chunk += "0\r\n\r\n";
  ex.send_body(core::Slice::copy_of(std::move(chunk)));
  return true;
}

}  // namespace sluice::relay
