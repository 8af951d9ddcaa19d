#include "http_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <stdexcept>

#include "deadline_socket.hpp"

namespace turnctl {
namespace {

/// Refuses answers beyond this: the admin API's largest (every session of a busy server) is far
/// smaller, and a wrong endpoint must not make turnctl buffer without end.
constexpr std::size_t kMaxResponseBytes = 64u << 20;

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

HttpResponse parse_response(const std::string& raw, const std::string& where) {
  const auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos || raw.size() < 12)
    throw std::runtime_error(where + " did not answer HTTP");
  HttpResponse r;
  try {
    r.status = std::stoi(raw.substr(9, 3));
  } catch (const std::exception&) {
    throw std::runtime_error(where + " sent a malformed HTTP status line");
  }
  std::size_t line = raw.find("\r\n") + 2;
  while (line < head_end) {
    const auto eol = raw.find("\r\n", line);
    const auto colon = raw.find(':', line);
    if (colon != std::string::npos && colon < eol) {
      std::string value = raw.substr(colon + 1, eol - colon - 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[lower(raw.substr(line, colon - line))] = value;
    }
    line = eol + 2;
  }
  r.body = raw.substr(head_end + 4);
  return r;
}

}  // namespace

HttpResponse http_request(const stun::SocketAddress& to, const std::string& method,
                          const std::string& target, const std::vector<std::string>& headers,
                          std::chrono::milliseconds timeout, const std::string& body) {
  const std::string where = to.to_string();
  const auto deadline = Clock::now() + timeout;
  std::string error;
  const turn::UniqueFd fd = connect_before(to, SOCK_STREAM, deadline, error);
  if (!fd.valid())
    throw std::runtime_error(where + ": " + error);
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: " + where +
                        "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n";
  for (const auto& h : headers)
    request += h + "\r\n";
  request += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, millis_left(deadline)) != 1)
      throw std::runtime_error(where + ": timed out sending the request");
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      throw std::runtime_error(where + ": " + system_error("send"));
    sent += n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  std::string raw;
  char buf[16384];
  for (;;) {
    pollfd p{fd.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, millis_left(deadline));
    if (ready == 0)
      throw std::runtime_error(where + ": no answer within " + std::to_string(timeout.count()) +
                               " ms");
    if (ready < 0 && errno != EINTR)
      throw std::runtime_error(where + ": " + system_error("poll"));
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        continue;
      throw std::runtime_error(where + ": " + system_error("recv"));
    }
    raw.append(buf, static_cast<std::size_t>(n));
    if (raw.size() > kMaxResponseBytes)
      throw std::runtime_error(where + ": the answer is larger than " +
                               std::to_string(kMaxResponseBytes >> 20) + " MiB");
  }
  return parse_response(raw, where);
}

std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace turnctl
