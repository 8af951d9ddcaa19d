#include "userdb/admin_store.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "userdb/flat_file.hpp"
#include "userdb/keys.hpp"
#include "userdb/sql_store.hpp"

namespace turn::userdb {
namespace {

/// An SQLite file as an SqlConnection that owns it.
class OwnedSqlite final : public SqlConnection {
 public:
  OwnedSqlite(const std::string& path, bool write)
      : db_(path, write ? Sqlite::Mode::kWrite : Sqlite::Mode::kRead), conn_(db_) {}
  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  const std::string& describe() const override { return conn_.describe(); }
  std::vector<Row> query(std::string_view sql, Params params) override {
    return conn_.query(sql, params);
  }
  bool has_table(std::string_view name) override { return conn_.has_table(name); }
  void transaction(bool write, const std::function<void()>& body) override {
    conn_.transaction(write, body);
  }

 private:
  Sqlite db_;
  SqliteConnection conn_;
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// coturn's get_default_protocol_port() for the schemes it knows.
int default_port(std::string_view scheme) {
  if (scheme == "http")
    return 80;
  if (scheme == "https")
    return 443;
  if (scheme == "ftp")
    return 21;
  if (scheme == "turn" || scheme == "stun")
    return 3478;
  if (scheme == "turns" || scheme == "stuns")
    return 5349;
  return 0;
}

class FlatStore final : public AdminStore {
 public:
  explicit FlatStore(std::string path) : path_(std::move(path)) {}

  DbKind kind() const override { return DbKind::kFlat; }

  void set_user(const std::string&, const std::string& name, const std::string& hex_key) override {
    const std::string line = name + ":0x" + hex_key;
    edit_flat_file(path_, [&](std::vector<std::string>& lines) {
      bool done = false;
      for (auto it = lines.begin(); it != lines.end();) {
        if (flat_line_user(*it) != name) {
          ++it;
        } else if (!done) {
          *it++ = line;
          done = true;
        } else {
          it = lines.erase(it);
        }
      }
      if (!done)
        lines.push_back(line);
    });
  }
  void delete_user(const std::string&, const std::string& name) override {
    edit_flat_file(path_, [&](std::vector<std::string>& lines) {
      std::erase_if(lines, [&](const std::string& l) { return flat_line_user(l) == name; });
    });
  }
  std::vector<AdminRow> list_users(const std::string& realm) override {
    bool exists = false;
    const std::string text = read_file(path_, exists);
    std::vector<AdminRow> rows;
    for (const auto& e : parse_flat_file(text, path_))
      rows.push_back({e.name, realm, {}});
    std::stable_sort(rows.begin(), rows.end(),
                     [](const AdminRow& a, const AdminRow& b) { return a.name < b.name; });
    return rows;
  }

 protected:
  std::string unsupported_message(const char* what) const override {
    return path_ + ": " + what + " needs an SQLite database; this is a flat user file (users only)";
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<AdminStore> AdminStore::open(const std::string& path, bool write) {
  const DbKind kind = detect_db_kind(path);
  const bool flat_name = ends_with(path, ".conf") || ends_with(path, ".txt");
  if (kind == DbKind::kFlat || ((kind == DbKind::kMissing || kind == DbKind::kEmpty) && flat_name))
    return std::make_unique<FlatStore>(path);
  std::unique_ptr<SqlConnection> conn;
  if (write || kind != DbKind::kMissing)
    conn = std::make_unique<OwnedSqlite>(path, write);
  return make_sql_store(std::move(conn), DbKind::kSqlite);
}

void AdminStore::set_secret(const std::string&, const std::string&) {
  unsupported("shared secrets (-s)");
}
void AdminStore::delete_secret(const std::string&, const std::string&) {
  unsupported("shared secrets (-X, --delete-all-secrets)");
}
std::vector<AdminRow> AdminStore::list_secrets(const std::string&) {
  unsupported("shared secrets (-S)");
}
void AdminStore::set_realm_option(const std::string&, const std::string&, std::uint64_t) {
  unsupported("realm options (-g)");
}
std::vector<AdminRow> AdminStore::list_realm_options(const std::string&) {
  unsupported("realm options (-G)");
}
void AdminStore::set_admin(const std::string&, const std::string&, const std::string&) {
  unsupported("admin users (-A)");
}
void AdminStore::delete_admin(const std::string&) {
  unsupported("admin users (-D)");
}
std::vector<AdminRow> AdminStore::list_admins() {
  unsupported("admin users (-L)");
}
void AdminStore::add_origin(const std::string&, const std::string&) {
  unsupported("origins (-O)");
}
void AdminStore::delete_origin(const std::string&) {
  unsupported("origins (-R)");
}
std::vector<AdminRow> AdminStore::list_origins(const std::string&) {
  unsupported("origins (-I)");
}

namespace {

std::array<std::uint8_t, 32> sha256_salted(std::string_view salt, std::string_view password) {
  std::array<std::uint8_t, 32> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, salt.data(), salt.size());
  EVP_DigestUpdate(ctx, password.data(), password.size());
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  EVP_MD_CTX_free(ctx);
  return out;
}

}  // namespace

std::string encrypt_password(std::string_view password, std::string_view salt) {
  std::array<std::uint8_t, 8> raw{};
  if (salt.empty()) {
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
      throw UserDbError("cannot get random bytes for the salt");
  } else {
    std::copy_n(salt.begin(), std::min(salt.size(), raw.size()), raw.begin());
  }
  const std::string_view salt_bytes(reinterpret_cast<const char*>(raw.data()), raw.size());
  return "$5$" + to_hex(raw) + "$" + to_hex(sha256_salted(salt_bytes, password));
}

bool check_encrypted_password(std::string_view password, std::string_view encrypted) {
  // "$5$" + 16 hex + "$" + 64 hex
  if (encrypted.size() != 3 + 16 + 1 + 64 || encrypted.substr(0, 3) != "$5$" ||
      encrypted[19] != '$') {
    return false;
  }
  std::array<std::uint8_t, 8> salt{};
  if (!parse_hex(encrypted.substr(3, 16), salt))
    return false;
  const std::string expected = encrypt_password(
      password, std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()));
  return expected.size() == encrypted.size() &&
         CRYPTO_memcmp(expected.data(), encrypted.data(), expected.size()) == 0;
}

bool is_secure_username(std::string_view name) {
  const std::string s = lower(name);
  if (s.find_first_of(" \t'\"\n\r\\") != std::string::npos)
    return false;
  return !(s.find("union") != std::string::npos && s.find("select") != std::string::npos);
}

std::optional<std::string> unstorable_username(std::string_view name) {
  if (name.empty())
    return std::string("it is empty");
  if (name.front() == '#')
    return std::string("it starts with '#' (a comment in a flat user file)");
  if (name.find(':') != std::string_view::npos)
    return std::string("it contains ':' (the separator of a flat user file's lines)");
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F)
      return std::string("it contains a control character");
  }
  return std::nullopt;
}

std::string canonic_origin(std::string_view origin) {
  const auto colon = origin.find("://");
  if (colon == std::string_view::npos || colon == 0)
    return std::string(origin);
  const std::string_view scheme = origin.substr(0, colon);
  if (!std::isalpha(static_cast<unsigned char>(scheme[0])))
    return std::string(origin);
  for (char c : scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return std::string(origin);
  }
  std::string_view authority = origin.substr(colon + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  std::string_view host = authority;
  int port = 0;
  const auto bracket = authority.rfind(']');
  const auto port_colon = authority.rfind(':');
  if (port_colon != std::string_view::npos &&
      (bracket == std::string_view::npos || port_colon > bracket)) {
    host = authority.substr(0, port_colon);
    const std::string_view digits = authority.substr(port_colon + 1);
    if (!digits.empty()) {
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
      if (ec != std::errc{} || end != digits.data() + digits.size() || port > 65535)
        return std::string(origin);
    }
  }
  if (host.empty())
    return std::string(origin);
  const std::string s = lower(scheme);
  if (port < 1)
    port = default_port(s);
  std::string out = s + "://" + lower(host);
  if (port > 0)
    out += ":" + std::to_string(port);
  return out;
}

}  // namespace turn::userdb
