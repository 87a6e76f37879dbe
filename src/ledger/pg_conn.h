#pragma once
// Small RAII layer over libpq for the ledger's connections (the writer thread's and the
// reader's). Private to src/ledger.

#include <libpq-fe.h>

#include <memory>
#include <string>

namespace sluice::ledger::pg {

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;
using Result = std::unique_ptr<PGresult, ResultClearer>;

// Connects to `url` (a postgresql:// URL or key=value string) with a short connect
// timeout. A null Conn and `error` on failure.
Conn connect(const std::string& url, std::string* error);

// The connection's last error on one line.
std::string error_of(PGconn* conn);

// True when `result` is a success of either kind (rows or none).
bool ok(const PGresult* result);

}  // namespace sluice::ledger::pg
