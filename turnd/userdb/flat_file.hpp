// rfc5766-turn-server's flat user file (turnuserdb.conf): one `name:password` or
// `name:0x<32 hex digits of MD5(name:realm:password)>` per line, `#` comments; the realm comes
// from the server configuration.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace turn::userdb {

struct FlatEntry {
  std::string name;
  std::string secret;  ///< password, or "0x" + 32 hex digits
  int line = 0;
};

/// Parses a whole flat file. Throws UserDbError naming `origin`:line on a malformed line.
std::vector<FlatEntry> parse_flat_file(std::string_view text, const std::string& origin);

/// The user name a line defines, or "" for blank, comment and malformed lines.
std::string flat_line_user(std::string_view line);

/// Reads `path` whole; throws UserDbError when it exists but cannot be read. A missing file
/// reads as "" with `exists` false.
std::string read_file(const std::string& path, bool& exists);

/// Read-modify-write of a flat file that loses no concurrent update and never shows a torn
/// file: takes an exclusive flock() on "<path>.lock", reads the lines, lets `edit` change them,
/// writes "<path>.tmp.<pid>" (same mode as the old file), fsyncs and renames it over `path`.
/// Throws UserDbError.
void edit_flat_file(const std::string& path,
                    const std::function<void(std::vector<std::string>& lines)>& edit);

}  // namespace turn::userdb
