#include "sluice/tls/tls_session_cache.h"

#include <openssl/ssl.h>

#include <ctime>

namespace sluice::tls {

TlsSessionCache::TlsSessionCache(const TlsClientContext& context, std::size_t capacity)
    : context_(&context), capacity_(capacity == 0 ? 1 : capacity) {}

TlsSessionCache::~TlsSessionCache() {
  for (auto& [origin, session] : sessions_) SSL_SESSION_free(session);
}

SSL_SESSION* TlsSessionCache::find(std::string_view origin) {
  auto it = sessions_.find(origin);
  if (it == sessions_.end()) return nullptr;
  SSL_SESSION* session = it->second;
  // An expired ticket would only cost the server a rejection and us a full handshake
  // anyway, but not sending it keeps the ClientHello honest.
  long expires = SSL_SESSION_get_time(session) + SSL_SESSION_get_timeout(session);
  if (SSL_SESSION_is_resumable(session) != 1 || expires <= static_cast<long>(std::time(nullptr))) {
    SSL_SESSION_free(session);
    sessions_.erase(it);
    return nullptr;
  }
  return session;
}

void TlsSessionCache::store(std::string origin, SSL_SESSION* session) {
  auto it = sessions_.find(origin);
  if (it != sessions_.end()) {
    SSL_SESSION_free(it->second);
    it->second = session;
    return;
  }
  if (sessions_.size() >= capacity_) {
    SSL_SESSION_free(sessions_.begin()->second);
    sessions_.erase(sessions_.begin());
  }
  sessions_.emplace(std::move(origin), session);
}

void TlsSessionCache::forget(std::string_view origin) {
  auto it = sessions_.find(origin);
  if (it == sessions_.end()) return;
  SSL_SESSION_free(it->second);
  sessions_.erase(it);
}

}  // namespace sluice::tls
