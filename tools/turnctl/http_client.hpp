// A small blocking HTTP/1.1 client for turnctl's admin commands (and the admin API's tests):
// one request per connection (Connection: close), read to EOF, bounded by a timeout.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "stun/address.hpp"

namespace turnctl {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
};

/// Sends `method target` to `to` with the extra header lines `headers` ("Name: value") and an
/// optional body. Throws std::runtime_error saying why when it cannot connect, the server does
/// not answer within `timeout`, or the answer is not HTTP.
HttpResponse http_request(const stun::SocketAddress& to, const std::string& method,
                          const std::string& target, const std::vector<std::string>& headers,
                          std::chrono::milliseconds timeout, const std::string& body = {});

/// `text` percent-encoded for a query value (RFC 3986 §2.1: all but unreserved characters).
std::string url_encode(std::string_view text);

}  // namespace turnctl
