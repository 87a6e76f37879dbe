// TLS costs on one shard: handshakes (full and resumed) and moving response bytes
// through an established connection, both ends in memory (no sockets), so the numbers
// are OpenSSL's work plus the engine's copies.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "../tests/tls/test_pki.h"
#include "../tests/tls/tls_pump.h"
#include "sluice/tls/tls_client.h"
#include "sluice/tls/tls_server.h"

namespace {

using sluice::test::pump_handshake;
using sluice::test::read_available;
using namespace sluice::tls;

struct Pki {
  Pki() : issued(pki.issue_server("bench", {.dns_names = {"api.sluice.test"}})) {}
  sluice::test::TestPki pki;
  sluice::test::IssuedCertificate issued;
  TlsServerContext server{{issued.cert_file, issued.key_file}};
  TlsClientContext client{{pki.ca_cert_file()}};
};

Pki& pki() {
  static Pki instance;
  return instance;
}

// One connection: handshake, then the read that takes TLS 1.3 tickets. False (and the
// benchmark marked failed) when it did not do what the benchmark measures.
bool connect(TlsSessionCache* cache, bool expect_resumed, benchmark::State& state) {
  TlsClientSession client(pki().client, "api.sluice.test", 443, cache);
  TlsServerSession server(pki().server);
  if (pump_handshake(client, server).client != HandshakeStatus::done) {
    state.SkipWithError("handshake failed");
    return false;
  }
  std::string tickets;
  read_available(client, tickets);
  if (client.session_reused() != expect_resumed) {
    state.SkipWithError("unexpected resumption outcome");
    return false;
  }
  return true;
}

void BM_TlsFullHandshake(benchmark::State& state) {
  for (auto _ : state) {
    if (!connect(nullptr, false, state)) break;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TlsFullHandshake);

void BM_TlsResumedHandshake(benchmark::State& state) {
  TlsSessionCache cache(pki().client);
  connect(&cache, false, state);
  for (auto _ : state) {
    if (!connect(&cache, true, state)) break;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TlsResumedHandshake);

// A provider's response: the server encrypts `size`-byte writes, the client decrypts
// them into a 16 KiB buffer.
void BM_TlsServerToClient(benchmark::State& state) {
  TlsClientSession client(pki().client, "api.sluice.test", 443);
  TlsServerSession server(pki().server);
  if (pump_handshake(client, server).client != HandshakeStatus::done) {
    state.SkipWithError("handshake failed");
    return;
  }
  std::string body(static_cast<std::size_t>(state.range(0)), 'x');
  std::string wire;
  static char plain[16384];
  for (auto _ : state) {
    server.write_plaintext(body);
    wire.clear();
    server.take_ciphertext(wire);
    client.feed_ciphertext(wire);
    while (client.read_plaintext(plain, sizeof plain).status == ReadStatus::data) {
      benchmark::DoNotOptimize(plain);
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
// 200 B is one SSE token event; 16 KiB a full TLS record of a non-stream body.
BENCHMARK(BM_TlsServerToClient)->Arg(200)->Arg(16384)->Arg(262144);

}  // namespace
