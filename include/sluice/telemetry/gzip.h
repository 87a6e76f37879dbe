#pragma once
// gzip (RFC 1952) of a whole export body, for `Content-Encoding: gzip`.

#include <string>
#include <string_view>

namespace sluice::telemetry {

// One gzip member holding `data`; false only when zlib cannot allocate.
bool gzip_compress(std::string_view data, std::string& out);

}  // namespace sluice::telemetry
