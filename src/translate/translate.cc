// The request side's entry point: read the client's body into the neutral form, write
// it in the provider's format, and account for what could not be carried.

#include "sluice/translate/translate.h"

#include "ir.h"

namespace sluice::translate {
namespace {

// Dropped names go into a response header (x-sluice-dropped-params) and some are the
// client's own member names: only visible ASCII other than the list separator stays,
// and a name is cut at 64 bytes.
std::string header_safe(std::string_view name) {
  if (name.empty()) return "?";  // a member with an empty name
  std::string out;
  for (char c : name.substr(0, 64)) {
    out += c > 0x20 && c < 0x7f && c != ',' ? c : '?';
  }
  return out;
}

}  // namespace

RequestOut translate_request(ApiFlavor client, ApiFlavor provider, std::string_view body,
                             const RequestOptions& options) {
  RequestOut out;
  json::Document doc;
  if (!json::parse(body, doc, out.message)) return out;
  if (!doc.IsObject()) {
    out.message = "the body must be a JSON object";
    return out;
  }
  ir::Request req;
  bool read = false;
  switch (client) {
    case ApiFlavor::openai:
      read = ir::read_openai_request(doc, req, out.message);
      break;
    case ApiFlavor::anthropic:
      read = ir::read_anthropic_request(doc, req, out.message);
      break;
    case ApiFlavor::gemini:
      read = ir::read_gemini_request(doc, req, out.message);
      req.stream = options.stream;
      break;
  }
  if (!read) return out;
  out.stream = req.stream;
  out.include_usage = req.include_usage;

  std::vector<ir::Param> dropped;
  // The provider's body is about as long as the client's: one allocation, not a
  // doubling series of them.
  out.body.reserve(body.size() + 256);
  bool written = false;
  switch (provider) {
    case ApiFlavor::openai:
      written = ir::write_openai_request(req, client, options, out.body, dropped, out.message);
      break;
    case ApiFlavor::anthropic:
      written = ir::write_anthropic_request(req, client, options, out.body, dropped, out.message);
      break;
    case ApiFlavor::gemini:
      written = ir::write_gemini_request(req, client, options, out.body, dropped, out.message);
      break;
  }
  if (!written) {
    out.body.clear();
    return out;
  }
  for (const std::string& name : req.dropped) out.dropped.push_back(header_safe(name));
  for (ir::Param p : dropped) out.dropped.emplace_back(ir::param_name(client, p));
  if (options.refuse_unsupported && !out.dropped.empty()) {
    out.message =
        "this model's provider (" + std::string(route::flavor_name(provider)) + ") cannot honour: ";
    for (size_t i = 0; i < out.dropped.size(); ++i) {
      if (i > 0) out.message += ", ";
      out.message += out.dropped[i];
    }
    out.body.clear();
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace sluice::translate
