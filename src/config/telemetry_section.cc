// The telemetry section: OTLP/HTTP trace export.
#include "sections.h"
#include "sluice/config/base_url.h"

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
      } else if (url.scheme != "http") {
        // The exporter speaks plain HTTP: a collector (or agent) beside sluice forwards
        // over TLS if the spans leave the machine.
        issues.add(e->offset, f.pointer_of("endpoint"),
                   "only http:// is supported; run an OpenTelemetry collector on this host "
                   "and let it forward over TLS");
      } else {
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
}

}  // namespace

void read_telemetry(Issues& issues, const Node& node, const std::string& pointer, Telemetry& out) {
  Fields f(issues, node, pointer);
  if (const Node* o = f.get("otlp")) read_otlp(issues, *o, f.pointer_of("otlp"), out.otlp);
}

}  // namespace sluice::config::detail
