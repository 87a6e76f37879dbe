#pragma once

// Moves bytes between a client and a server TlsEngine in memory, standing in for the
// network (and the io_uring loop that would send and receive them).

#include <string>

#include "sluice/tls/tls_engine.h"

namespace sluice::test {

// Moves everything `from` wants to send into `to`; returns how many bytes moved.
inline std::size_t transfer(tls::TlsEngine& from, tls::TlsEngine& to) {
  std::string bytes;
  from.take_ciphertext(bytes);
  to.feed_ciphertext(bytes);
  return bytes.size();
}

struct HandshakeOutcome {
  tls::HandshakeStatus client;
  tls::HandshakeStatus server;
};

// Drives both handshakes until neither wants more I/O or nothing moves any more. The
// alert a failing side sends is delivered, so the other side sees why.
inline HandshakeOutcome pump_handshake(tls::TlsEngine& client, tls::TlsEngine& server) {
  HandshakeOutcome out{tls::HandshakeStatus::want_io, tls::HandshakeStatus::want_io};
  for (int round = 0; round < 16; ++round) {
    out.client = client.handshake();
    std::size_t moved = transfer(client, server);
    out.server = server.handshake();
    moved += transfer(server, client);
    bool settled =
        out.client != tls::HandshakeStatus::want_io && out.server != tls::HandshakeStatus::want_io;
    if (settled || (moved == 0 && round > 0)) break;
  }
  return out;
}

// Reads until the engine wants more ciphertext (or closes or fails), appending to `out`,
// `cap` bytes at a time. Returns the status that stopped it.
inline tls::ReadStatus read_available(tls::TlsEngine& engine, std::string& out,
                                      std::size_t cap = 16 * 1024) {
  std::string buf(cap, '\0');
  for (;;) {
    tls::ReadResult r = engine.read_plaintext(buf.data(), buf.size());
    if (r.status != tls::ReadStatus::data) return r.status;
    out.append(buf.data(), r.bytes);
  }
}

}  // namespace sluice::test
