#include "sluice/relay/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "sluice/core/json_string.h"

namespace sluice::relay {
namespace {
void field(std::string& out, const char* name, const std::string& value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  core::append_json_chars(out, value);
  out += '"';
}
void number(std::string& out, const char* name, double value) {
  char buf[64];
  int n = snprintf(buf, sizeof buf, ",\"%s\":%.3f", name, value);
  out.append(buf, static_cast<size_t>(n));
}
void integer(std::string& out, const char* name, uint64_t value) {
  char buf[64];
  int n = snprintf(buf, sizeof buf, ",\"%s\":%llu", name, static_cast<unsigned long long>(value));
  out.append(buf, static_cast<size_t>(n));
}
}  // namespace

int open_access_log(const std::string& where) {
  if (where.empty()) return 2;
  if (where == "off") return -1;
  int fd = ::open(where.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("cannot open access log " + where + ": " + strerror(errno));
  return fd;
}

std::string reopen_access_log(const std::string& where, int fd) {
  if (where.empty() || where == "off" || fd <= 2) return {};
  int next = ::open(where.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (next < 0) return "cannot reopen access log " + where + ": " + strerror(errno);
  int err = 0;
  if (::dup3(next, fd, O_CLOEXEC) < 0) err = errno;
  ::close(next);
  if (err) return "cannot reopen access log " + where + ": " + strerror(err);
  return {};
}

void AccessLog::record(const RequestInfo& r, uint64_t now_ns, uint64_t ttfb_ns,
                       uint64_t bytes_out) {
  if (fd_ < 0) return;
  time_t secs = static_cast<time_t>(r.ts_ms / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char ts[64];
  snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
           t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(r.ts_ms % 1000));
  double total_ms = static_cast<double>(now_ns - r.arrival_ns) / 1e6;
  double ttfb_ms = static_cast<double>(ttfb_ns) / 1e6;
  // Gateway overhead: time spent before handing the request upstream. After that the
  // relay forwards bytes as they come, so the rest is the provider's.
  double overhead_ms =
      r.dispatch_ns ? static_cast<double>(r.dispatch_ns - r.arrival_ns) / 1e6 : total_ms;
  buf_ += "{\"time\":\"";
  buf_ += ts;
  buf_ += '"';
  field(buf_, "request_id", r.request_id);
  field(buf_, "key_id", r.key_id);
  field(buf_, "project", r.project);
  field(buf_, "route", r.route);
  field(buf_, "alias", r.alias);
  field(buf_, "provider", r.provider);
  field(buf_, "upstream_model", r.upstream_model);
  integer(buf_, "status", static_cast<uint64_t>(r.status));
  if (!r.error_class.empty()) field(buf_, "error_class", r.error_class);
  integer(buf_, "bytes_in", r.bytes_in);
  integer(buf_, "bytes_out", bytes_out);
  number(buf_, "latency_ms", total_ms);
  number(buf_, "upstream_ttfb_ms", ttfb_ms);
  number(buf_, "overhead_ms", overhead_ms);
  buf_ += "}\n";
  if (buf_.size() > 64 * 1024) flush();
}

void AccessLog::flush() {
  if (buf_.empty() || fd_ < 0) return;
  size_t off = 0;
  while (off < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (n <= 0) break;  // a full disk must not stop the gateway
    off += static_cast<size_t>(n);
  }
  buf_.clear();
}

}  // namespace sluice::relay
