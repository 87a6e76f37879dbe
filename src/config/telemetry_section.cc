// The telemetry section: OTLP/HTTP(S) trace export, and what spans may carry.
#include "sections.h"
#include "sluice/config/base_url.h"
#include "sluice/tls/ca_file.h"

namespace sluice::config::detail {
namespace {

void read_otlp(Issues& issues, const Node& node, const std::string& pointer, Otlp& out) {
  Fields f(issues, node, pointer);
  if (const Node* e = f.require("endpoint")) {
    std::string endpoint;
    if (read_string(issues, *e, f.pointer_of("endpoint"), endpoint)) {
      BaseUrl url;
      std::string why;
      if (!parse_base_url(endpoint, url, why)) {
        issues.add(e->offset, f.pointer_of("endpoint"), why);
      } else if (url.scheme != "http" && url.scheme != "https") {
        issues.add(e->offset, f.pointer_of("endpoint"), "must be http:// or https://");
      } else {
        out.tls = url.scheme == "https";
        out.endpoint = endpoint;
        out.host = url.host;
        out.port = url.port;
        out.base_path = url.base_path;
      }
    }
  }
  f.u32("batch_ms", out.batch_ms, 10, 60000);
  f.u32("max_queue", out.max_queue, 1, 1u << 20);
  f.u32("timeout_ms", out.timeout_ms, 100, 60000);
  f.string("service_name", out.service_name);
  f.u64("max_queue_bytes", out.max_queue_bytes, 4096, uint64_t{1} << 34);
  f.boolean("capture_content", out.capture_content);
  f.u32("max_content_bytes", out.max_content_bytes, 64, 16u << 20);
  f.u32("max_retries", out.max_retries, 0, 20);
  if (f.string("ca_file", out.ca_file) && !out.ca_file.empty()) {
    if (!out.tls && !out.endpoint.empty())
      issues.add(f.get("ca_file")->offset, f.pointer_of("ca_file"),
                 "ca_file needs an https:// endpoint");
    else if (issues.check_files) {
      std::string why = tls::ca_file_problem(out.ca_file);
      if (!why.empty()) issues.add(f.get("ca_file")->offset, f.pointer_of("ca_file"), why);
    }
  }
  const Member* env = f.member("headers_env");
  const Member* file = f.member("headers_file");
  if (env != nullptr && file != nullptr) {
    const Member* later = env->key_offset > file->key_offset ? env : file;
    issues.add(later->key_offset, f.pointer_of(later->key),
               "set only one of \"headers_env\" and \"headers_file\"");
    return;
  }
  if (env != nullptr &&
      read_string(issues, env->value, f.pointer_of("headers_env"), out.headers_env))
    check_env_name(issues, env->value, f.pointer_of("headers_env"), out.headers_env);
  if (file != nullptr)
    read_string(issues, file->value, f.pointer_of("headers_file"), out.headers_file);
  f.forbid("headers",
           "headers carry secrets (Authorization): name an environment variable with "
           "\"headers_env\" or a file with \"headers_file\"");
}

}  // namespace

void read_telemetry(Issues& issues, const Node& node, const std::string& pointer, Telemetry& out) {
  Fields f(issues, node, pointer);
  if (const Node* o = f.get("otlp")) read_otlp(issues, *o, f.pointer_of("otlp"), out.otlp);
}

}  // namespace sluice::config::detail
