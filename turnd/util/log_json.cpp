#include "util/log_json.hpp"

#include <cctype>
#include <set>

namespace turn::log {
namespace {

/// RFC 8259 string: quotes, backslashes and control characters escaped; bytes over 0x7f are
/// written as \u00XX, so the line is valid JSON whatever bytes the message holds.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

bool key_char(char c) {
  return std::islower(static_cast<unsigned char>(c)) ||
         std::isdigit(static_cast<unsigned char>(c)) || c == '_';
}

void append_field(std::string& out, std::set<std::string_view>& seen, std::string_view key,
                  std::string_view value) {
  static const std::set<std::string_view> kReserved = {"time", "level", "message", "event"};
  if (kReserved.count(key) || !seen.insert(key).second)
    return;
  out.push_back(',');
  append_json_string(out, key);
  out.push_back(':');
  append_json_string(out, value);
}

/// Appends `,"key":"value"` for each key=value word of `rest` (a value in quotes runs to the
/// next quote: log::sanitize leaves none inside), and for "from ADDRESS" and "port N" (the
/// source of "auth failure from 192.0.2.1 port 5 ..."). Other words stay in the message only.
void append_fields(std::string& out, std::string_view rest) {
  std::set<std::string_view> seen;
  std::string_view previous_word;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ')
      ++i;
    const std::size_t key_start = i;
    while (i < rest.size() && key_char(rest[i]))
      ++i;
    const bool is_pair = i > key_start && i < rest.size() && rest[i] == '=';
    std::string_view value;
    if (is_pair) {
      ++i;
      if (i < rest.size() && rest[i] == '"') {
        const std::size_t close = rest.find('"', i + 1);
        const std::size_t end = close == std::string_view::npos ? rest.size() : close;
        value = rest.substr(i + 1, end - i - 1);
        i = end == rest.size() ? end : end + 1;
      } else {
        const std::size_t end = std::min(rest.find(' ', i), rest.size());
        value = rest.substr(i, end - i);
        i = end;
      }
      append_field(out, seen, rest.substr(key_start, rest.find('=', key_start) - key_start), value);
      previous_word = {};
    } else {
      while (i < rest.size() && rest[i] != ' ')
        ++i;  // a word that is not key=value
      const std::string_view word = rest.substr(key_start, i - key_start);
      if (previous_word == "from" || previous_word == "port")
        append_field(out, seen, previous_word, word);
      previous_word = word;
    }
  }
}

}  // namespace

std::string json_line(std::string_view time, std::string_view level_name,
                      std::string_view message) {
  std::string out;
  out.reserve(message.size() * 2 + 64);
  out += "{\"time\":";
  append_json_string(out, time);
  out += ",\"level\":";
  append_json_string(out, level_name);
  out += ",\"message\":";
  append_json_string(out, message);
  // "event: ..." where the event is words and spaces only ("allocation end", "auth ban").
  const std::size_t colon = message.find(": ");
  if (colon != std::string_view::npos && colon > 0) {
    const std::string_view event = message.substr(0, colon);
    bool words = true;
    for (char c : event)
      words = words && (std::isalpha(static_cast<unsigned char>(c)) || c == ' ' || c == '-');
    if (words) {
      out += ",\"event\":";
      append_json_string(out, event);
      append_fields(out, message.substr(colon + 2));
      out.push_back('}');
      return out;
    }
  }
  append_fields(out, message);
  out.push_back('}');
  return out;
}

}  // namespace turn::log
