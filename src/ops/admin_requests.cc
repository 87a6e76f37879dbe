// /admin/requests, /admin/requests/<id> and /admin/latency: the ledger's rows for the
// dashboard's request explorer and latency view. The shard parses and checks the query;
// the read runs on the admin worker, over a connection of the worker's own (read-only
// SQLite, or PostgreSQL when the ledger is there, so every instance's rows show), and the
// answer comes back to this shard through its loop's inbox.

#include <memory>

#include "sluice/admin/request_params.h"
#include "sluice/config/ledger_url.h"
#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "sluice/ledger/ledger.h"
#include "sluice/ledger/request_query.h"
#include "sluice/ops/operations.h"
#include "sluice/route/error_envelope.h"

namespace sluice::ops {
namespace {

// The error class of a refused read (a ledger failure, a 500, is reported as
// bad_request, as /admin/usage does: no class names a failure of the gateway itself).
route::ErrorClass error_class(int status) {
  return status == 404 ? route::ErrorClass::not_found : route::ErrorClass::bad_request;
}

// A ledger read waiting for the admin worker; answered on its shard, unless the client
// left meanwhile.
class PendingLedgerRead final : public net::ExchangeObserver {
 public:
  PendingLedgerRead(net::Exchange& ex, std::string headers)
      : ex_(&ex), headers_(std::move(headers)) {
    ex.set_observer(this);
  }
  void on_client_gone() override { ex_ = nullptr; }
  void deliver(int status, std::string body) {
    if (ex_) {
      if (status >= 400) {
        headers_ += "x-sluice-error-class: ";
        headers_ += route::error_class_name(error_class(status));
        headers_ += "\r\n";
      }
      ex_->set_observer(nullptr);
      ex_->respond(status, "application/json", std::move(body), headers_);
    }
    delete this;
  }

 private:
  net::Exchange* ex_;
  std::string headers_;
};

// Where the worker reads: the SQLite file, or the PostgreSQL URL.
struct LedgerSource {
  bool postgres = false;
  std::string path;       // sqlite
  config::Ledger config;  // postgres: the URL is resolved on the worker
};

// The worker's connection, opened on first use and kept for the worker thread's life
// (only that thread ever touches it); replaced when the ledger moves.
ledger::RequestQuery* worker_reader(const LedgerSource& source, std::string& error) {
  thread_local std::unique_ptr<ledger::RequestQuery> reader;
  thread_local std::string reader_key;
  std::string key;
  if (source.postgres) {
    std::string url = config::resolve_ledger_url(source.config, error);
    if (url.empty()) return nullptr;
    key = "postgres " + url;
    if (!reader || reader_key != key) {
      reader = std::make_unique<ledger::RequestQuery>(ledger::RequestQuery::Postgres{url});
      reader_key = std::move(key);
    }
    return reader.get();
  }
  key = "sqlite " + source.path;
  if (!reader || reader_key != key) {
    try {
      reader = std::make_unique<ledger::RequestQuery>(source.path);
      reader_key = std::move(key);
    } catch (const std::exception& e) {
      reader.reset();
      error = e.what();
      return nullptr;
    }
  }
  return reader.get();
}

// Percent-decoding of a path segment ('+' stays '+').
std::string decode_segment(std::string_view s) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

int http_status(const ledger::RequestAnswer& a) {
  switch (a.status) {
    case ledger::RequestAnswer::Status::ok:
      return 200;
    case ledger::RequestAnswer::Status::invalid_query:
      return 400;
    case ledger::RequestAnswer::Status::not_found:
      return 404;
    case ledger::RequestAnswer::Status::failed:
      break;
  }
  return 500;
}

}  // namespace

void Operations::ledger_rows(flow::ClientRequest& r) {
  const flow::GatewayState& state = gw_.state();
  if (r.ex.head().method != "GET") {
    r.response_headers += "Allow: GET\r\n";
    return refuse(r, route::ErrorClass::method_not_allowed, "method not allowed on this path");
  }
  if (!state.ledger || !state.admin_worker)
    return refuse(r, route::ErrorClass::not_found, "no ledger");
  const std::string_view sub = r.route.subpath;
  const int64_t now_ms = static_cast<int64_t>(core::wall_ms());

  // What the worker will run, checked here so a bad query never leaves the shard.
  std::function<ledger::RequestAnswer(const ledger::RequestQuery&)> read;
  if (sub == "/requests") {
    admin::RequestsParams p = admin::parse_requests_params(r.ex.head().query, now_ms);
    if (!p.error.empty()) return refuse(r, route::ErrorClass::bad_request, p.error);
    read = [q = std::move(p.query)](const ledger::RequestQuery& db) { return db.requests(q); };
  } else if (sub == "/latency") {
    admin::LatencyParams p = admin::parse_latency_params(r.ex.head().query, now_ms);
    if (!p.error.empty()) return refuse(r, route::ErrorClass::bad_request, p.error);
    read = [q = std::move(p.query)](const ledger::RequestQuery& db) { return db.latency(q); };
  } else {
    std::string id = decode_segment(sub.substr(10));  // after "/requests/"
    if (id.empty() || id.find('/') != std::string::npos)
      return refuse(r, route::ErrorClass::not_found, "no such admin endpoint");
    if (id.size() > 256)
      return refuse(r, route::ErrorClass::bad_request, "request id is longer than 256 bytes");
    read = [id = std::move(id)](const ledger::RequestQuery& db) { return db.request(id); };
  }

  auto* pending = new PendingLedgerRead(r.ex, r.response_headers);
  // The shard may stop before the worker answers: post through the loop's inbox, which
  // outlives it and refuses posts once the loop is gone.
  std::shared_ptr<core::Inbox> inbox = gw_.io().loop.inbox();
  LedgerSource source;
  source.postgres = state.ledger->postgres();
  if (source.postgres)
    source.config = state.config->ledger;
  else
    source.path = state.ledger->path();
  state.admin_worker->submit([pending, inbox, source = std::move(source), read = std::move(read)] {
    std::string error;
    const ledger::RequestQuery* db = worker_reader(source, error);
    ledger::RequestAnswer a;
    if (db == nullptr) {
      a.error = "cannot open the ledger: " + error;
    } else {
      a = read(*db);
    }
    const int status = http_status(a);
    std::string body =
        a.ok() ? std::move(a.json)
               : route::error_body(route::ApiFlavor::openai, error_class(status), a.error);
    // A refused post: the loop is gone, and with it the client's connection.
    if (!inbox->post([pending, status, body = std::move(body)]() mutable {
          pending->deliver(status, std::move(body));
        }))
      delete pending;
  });
}

}  // namespace sluice::ops
