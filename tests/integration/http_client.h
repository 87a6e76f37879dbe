#pragma once
// A blocking HTTP/1.1 client for integration tests on loopback: sends one request,
// reads the whole response (Content-Length, chunked or close-delimited), and keeps the
// connection for the next request. Chunked bodies are decoded, and each chunk is also
// kept as it came, so tests can check how a server frames a stream. Responses cut by
// the server or by the read deadline come back marked, not as errors, because that is
// what failure tests look at.
//
//   HttpClient c(port);
//   HttpResponse r = c.post("/v1/chat/completions", R"({"model":"m"})",
//                           {{"x-mock-fault", "status=429"}});
//   EXPECT_EQ(r.status, 429);
//   EXPECT_EQ(r.header("retry-after"), "1");

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;  // 0: no status line arrived
  std::string reason;
  HeaderList headers;               // as received, in order
  std::string body;                 // de-chunked
  std::vector<std::string> chunks;  // chunked only: each chunk's data, in order
  bool chunked = false;
  bool complete = false;   // the body ended where its framing says
  bool closed = false;     // the server closed the connection (before or after the end)
  bool timed_out = false;  // no byte came within the read timeout
  size_t reads = 0;        // recv() calls that brought bytes of this response

  // First header with this name (ASCII case-insensitive), or "".
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  HeaderList headers;  // Host and Content-Length are added unless given
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Connects now (request() also connects when needed). False if refused.
  bool connect();
  void close();
  bool connected() const { return fd_ >= 0; }

  // Sends `req` and reads the response; `timeout_ms` bounds each wait for bytes. The
  // connection is closed afterwards when the response was cut or said `close`. No retry:
  // a request on a connection the server has closed comes back with status 0, `closed`.
  HttpResponse request(const HttpRequest& req, int timeout_ms = 10000);
  HttpResponse get(std::string_view target, const HeaderList& headers = {}, int timeout_ms = 10000);
  HttpResponse post(std::string_view target, std::string_view body, const HeaderList& headers = {},
                    int timeout_ms = 10000);

  // Lower level: write bytes as they are, then read one response.
  bool send_raw(std::string_view bytes);
  HttpResponse read_response(int timeout_ms = 10000, bool head_request = false);
  // True once the server has closed the connection, within `timeout_ms`; any bytes that
  // arrive meanwhile are discarded.
  bool wait_closed(int timeout_ms);

 private:
  enum class Fill { data, closed, timed_out };
  // Reads more bytes into buf_.
  Fill fill(int timeout_ms, HttpResponse& r);
  bool read_head(int timeout_ms, HttpResponse& r);
  void read_chunked(int timeout_ms, HttpResponse& r);
  void read_length(size_t length, int timeout_ms, HttpResponse& r);
  void read_to_close(int timeout_ms, HttpResponse& r);

  std::string host_;
  uint16_t port_;
  int fd_ = -1;
  std::string buf_;  // received, not yet consumed
};

}  // namespace sluice::testing
