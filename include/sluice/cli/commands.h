#pragma once
// `sluice keys|usage|limits|breakers ...`: the operator's view of a running gateway
// through its admin API (docs/OPERATIONS.md "Command line").

#include <string>

#include "sluice/cli/admin_client.h"
#include "sluice/cli/args.h"
#include "sluice/config/config.h"

namespace sluice::cli {

// Runs the subcommand in argv[1]; `default_config` is the path the gateway itself reads
// when no --config is given. Returns the exit status: 0 done, 1 the gateway, the
// config or the network failed (message on stderr), 2 bad arguments.
int run_admin_command(int argc, char** argv, const char* default_config);

// Where a gateway with this config answers its admin API: admin.listen's first entry
// when set, else the first `listen` entry; a wildcard address becomes loopback. Empty
// on success; otherwise why the config gives no usable address (TLS, port 0, none).
std::string admin_url_from_config(const config::Config& cfg, AdminUrl& out);

// The request path and query for an invocation, e.g.
// "/admin/usage?from=2026-12-01&group_by=project%2Cmodel".
std::string request_target(const Invocation& inv);

// Percent-encoding of a query value (RFC 3986 unreserved characters pass).
std::string url_encode(std::string_view value);

}  // namespace sluice::cli
