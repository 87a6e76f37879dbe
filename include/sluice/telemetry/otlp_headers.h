#pragma once
// Export headers in the form of OTEL_EXPORTER_OTLP_HEADERS: a comma-separated list of
// key=value pairs, whitespace around keys and values trimmed, values percent-encoded
// ("Authorization=Basic%20cGs6c2s=,x-team=ml"). A line break separates pairs too, so a
// credential file may hold one pair per line. Empty entries are skipped.
//
// The values are secrets (an Authorization header): errors name the entry's position
// and key, never a value.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::telemetry {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// True and fills `out` (in order) when `text` is well formed: every entry has an '=',
// a key that is an HTTP token and not one the exporter sets itself (host,
// content-length, content-type, content-encoding, connection, transfer-encoding), and
// a value whose percent escapes are complete and that decodes to no control
// characters (a CR or LF would end the header line). Otherwise false and `error` says
// why.
bool parse_otlp_headers(std::string_view text, HeaderList& out, std::string& error);

// The header lines ("key: value\r\n" each) for a request head.
std::string header_lines(const HeaderList& headers);

}  // namespace sluice::telemetry

namespace sluice::config {
struct Otlp;
}

namespace sluice::telemetry {

// The export headers the config names: the environment variable `headers_env`, or the
// file `headers_file` (a bare name is looked up in $CREDENTIALS_DIRECTORY first, as
// systemd's LoadCredential= places it). Neither set: no headers, true. On failure
// `error` names the variable or file and what is wrong, never a value.
bool load_otlp_headers(const config::Otlp& config, HeaderList& out, std::string& error);

}  // namespace sluice::telemetry
