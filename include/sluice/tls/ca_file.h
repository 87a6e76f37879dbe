#pragma once
// A provider's ca_file, checked before anything relies on it: at config load (startup,
// reload and --check-config) rather than at the first connection.

#include <string>

namespace sluice::tls {

// Why `path` cannot serve as a ca_file, or empty when it can: it must be a readable
// regular file holding at least one PEM certificate ("CERTIFICATE" or "TRUSTED
// CERTIFICATE" blocks; other blocks are skipped), every one of which parses.
std::string ca_file_problem(const std::string& path);

}  // namespace sluice::tls
