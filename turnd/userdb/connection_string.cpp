#include "userdb/connection_string.hpp"

#include <cctype>
#include <charconv>
#include <vector>

#include "userdb/keys.hpp"

namespace turn::userdb {
namespace {

struct Token {
  std::string key, value;
};

std::vector<Token> tokens(std::string_view text) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto space = [&](std::size_t at) {
    return std::isspace(static_cast<unsigned char>(text[at])) != 0;
  };
  while (i < text.size()) {
    while (i < text.size() && space(i))
      ++i;
    if (i == text.size())
      break;
    Token t;
    const std::size_t start = i;
    while (i < text.size() && text[i] != '=' && !space(i))
      ++i;
    if (i == text.size() || text[i] != '=' || i == start)
      throw UserDbError("connection string: '" + std::string(text.substr(start, i - start)) +
                        "' is not key=value");
    t.key = std::string(text.substr(start, i - start));
    ++i;
    if (i < text.size() && text[i] == '\'') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          t.value += text[i + 1];
          i += 2;
        } else if (text[i] == '\'') {
          ++i;
          closed = true;
          break;
        } else {
          t.value += text[i++];
        }
      }
      if (!closed)
        throw UserDbError("connection string: unterminated quote in the value of " + t.key);
    } else {
      while (i < text.size() && !space(i))
        t.value += text[i++];
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

ConnectionString ConnectionString::parse(std::string_view text) {
  ConnectionString c;
  for (auto& t : tokens(text))
    c.values_[t.key] = t.value;
  return c;
}

std::optional<std::string> ConnectionString::get(std::string_view key) const {
  if (auto it = values_.find(key); it != values_.end())
    return it->second;
  return std::nullopt;
}

std::string ConnectionString::get_or(std::string_view key, std::string fallback) const {
  auto v = get(key);
  return v ? *v : fallback;
}

unsigned ConnectionString::number_or(std::string_view key, unsigned fallback) const {
  auto v = get(key);
  if (!v)
    return fallback;
  unsigned n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || end != v->data() + v->size())
    throw UserDbError("connection string: " + std::string(key) + "='" + *v + "' is not a number");
  return n;
}

void ConnectionString::require_known(std::initializer_list<std::string_view> known,
                                     std::string_view what) const {
  for (const auto& [key, value] : values_) {
    bool ok = false;
    for (auto k : known)
      ok = ok || k == key;
    if (!ok)
      throw UserDbError(std::string(what) + " connection string: unknown key '" + key + "'");
  }
}

}  // namespace turn::userdb
