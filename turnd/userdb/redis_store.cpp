#include "userdb/redis_store.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "stun/integrity.hpp"
#include "userdb/keys.hpp"

namespace turn::userdb {
namespace {

constexpr std::string_view kRealmPrefix = "turn/realm/";
constexpr std::string_view kOriginPrefix = "turn/origin/";
constexpr std::string_view kAdminPrefix = "turn/admin_user/";

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

/// A key below turn/realm/: its realm and what follows ("user/alice/key", "secret", ...).
struct RealmKey {
  std::string realm, rest;
};
std::optional<RealmKey> split_realm_key(std::string_view key) {
  if (!starts_with(key, kRealmPrefix))
    return std::nullopt;
  key.remove_prefix(kRealmPrefix.size());
  const auto slash = key.find('/');
  if (slash == std::string_view::npos || slash == 0)
    return std::nullopt;
  return RealmKey{std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

std::string realm_key(std::string_view realm, std::string_view rest) {
  return std::string(kRealmPrefix) + std::string(realm) + "/" + std::string(rest);
}

std::string user_key(std::string_view realm, std::string_view user, std::string_view field) {
  return realm_key(realm, "user/" + std::string(user) + "/" + std::string(field));
}

bool is_set_of_strings(const RedisValue& v) {
  return v.type == RedisValue::Type::kArray;
}

}  // namespace

DbContents read_redis_contents(RedisClient& redis) {
  enum class What { kKey, kPassword, kSecret, kOption, kAllowed, kDenied, kOrigin };
  struct Pending {
    What what;
    std::string realm, name;
  };
  std::vector<std::vector<std::string>> commands;
  std::vector<Pending> pending;
  for (auto& key : redis.scan("turn/realm/*")) {
    auto rk = split_realm_key(key);
    if (!rk)
      continue;
    const std::string& rest = rk->rest;
    if (starts_with(rest, "user/") && (ends_with(rest, "/key") || ends_with(rest, "/password"))) {
      const bool is_key = ends_with(rest, "/key");
      const std::size_t tail = is_key ? 4 : 9;
      if (rest.size() <= 5 + tail)
        continue;
      pending.push_back({is_key ? What::kKey : What::kPassword, rk->realm,
                         rest.substr(5, rest.size() - 5 - tail)});
      commands.push_back({"GET", key});
    } else if (rest == "secret") {
      pending.push_back({What::kSecret, rk->realm, {}});
      commands.push_back({"SMEMBERS", key});
    } else if (rest == "max-bps" || rest == "total-quota" || rest == "user-quota") {
      pending.push_back({What::kOption, rk->realm, rest});
      commands.push_back({"GET", key});
    } else if (rest == "allowed-peer-ip" || rest == "denied-peer-ip") {
      pending.push_back({rest[0] == 'a' ? What::kAllowed : What::kDenied, rk->realm, {}});
      commands.push_back({"SMEMBERS", key});
    }
  }
  for (auto& key : redis.scan("turn/origin/*")) {
    pending.push_back({What::kOrigin, {}, key.substr(kOriginPrefix.size())});
    commands.push_back({"GET", key});
  }
  const auto replies = redis.pipeline(commands);

  DbContents c;
  std::map<std::pair<std::string, std::string>, std::string> passwords;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const RedisValue& v = replies[i];
    const Pending& p = pending[i];
    if (v.is_error() || v.type == RedisValue::Type::kNil)
      continue;  // another type under our name, or deleted between SCAN and GET
    switch (p.what) {
      case What::kKey:
        c.users.push_back({p.realm, p.name, v.text});
        break;
      case What::kPassword:
        passwords[{p.realm, p.name}] = v.text;
        break;
      case What::kSecret:
        if (is_set_of_strings(v)) {
          for (const auto& e : v.elements)
            c.secrets.push_back({p.realm, e.text, {}});
        }
        break;
      case What::kOption:
        c.realm_options.push_back({p.realm, p.name, v.text});
        break;
      case What::kAllowed:
      case What::kDenied:
        if (is_set_of_strings(v)) {
          for (const auto& e : v.elements)
            (p.what == What::kAllowed ? c.allowed_peer_ips : c.denied_peer_ips)
                .push_back({p.realm, e.text, {}});
        }
        break;
      case What::kOrigin:
        c.origins.push_back({v.text, p.name, {}});
        break;
    }
  }
  // A stored key wins over a plain password of the same user (coturn reads /key first).
  for (const auto& entry : passwords) {
    // Not a structured binding: clang 14 cannot capture one in the lambda.
    const std::string& realm = entry.first.first;
    const std::string& name = entry.first.second;
    const bool keyed = std::any_of(c.users.begin(), c.users.end(), [&](const auto& u) {
      return u.realm == realm && u.name == name;
    });
    if (!keyed)
      c.users.push_back({realm, name, to_hex(stun::long_term_key_md5(name, realm, entry.second))});
  }
  // SCAN order is the server's hash order: sort so equal databases compare equal.
  auto by_all = [](const auto& a, const auto& b) {
    return std::tie(a.realm, a.key, a.value) < std::tie(b.realm, b.key, b.value);
  };
  std::sort(c.users.begin(), c.users.end(), [](const auto& a, const auto& b) {
    return std::tie(a.realm, a.name) < std::tie(b.realm, b.name);
  });
  for (auto* list :
       {&c.secrets, &c.realm_options, &c.allowed_peer_ips, &c.denied_peer_ips, &c.origins}) {
    std::sort(list->begin(), list->end(), by_all);
  }
  return c;
}

namespace {

class RedisStore final : public AdminStore {
 public:
  explicit RedisStore(const std::string& connection_string)
      : redis_(RedisSettings::parse(connection_string)) {}

  DbKind kind() const override { return DbKind::kRedis; }

  void set_user(const std::string& realm, const std::string& name,
                const std::string& hex_key) override {
    ok(redis_.command({"SET", user_key(realm, name, "key"), hex_key}));
    // A plain password left behind would keep the old one valid.
    ok(redis_.command({"DEL", user_key(realm, name, "password")}));
  }
  void delete_user(const std::string& realm, const std::string& name) override {
    ok(redis_.command({"DEL", user_key(realm, name, "key"), user_key(realm, name, "password")}));
  }
  std::vector<AdminRow> list_users(const std::string& realm) override {
    return of_realm(read_redis_contents(redis_).users, realm, [](const auto& u) {
      return AdminRow{u.name, u.realm, {}};
    });
  }
  void set_secret(const std::string& realm, const std::string& secret) override {
    ok(redis_.command({"SADD", realm_key(realm, "secret"), secret}));
  }
  void delete_secret(const std::string& realm, const std::string& secret) override {
    if (secret.empty())
      ok(redis_.command({"DEL", realm_key(realm, "secret")}));
    else
      ok(redis_.command({"SREM", realm_key(realm, "secret"), secret}));
  }
  std::vector<AdminRow> list_secrets(const std::string& realm) override {
    return of_realm(read_redis_contents(redis_).secrets, realm, [](const auto& s) {
      return AdminRow{s.key, s.realm, {}};
    });
  }
  void set_realm_option(const std::string& realm, const std::string& opt,
                        std::uint64_t value) override {
    if (value == 0)
      ok(redis_.command({"DEL", realm_key(realm, opt)}));
    else
      ok(redis_.command({"SET", realm_key(realm, opt), std::to_string(value)}));
  }
  std::vector<AdminRow> list_realm_options(const std::string& realm) override {
    return of_realm(read_redis_contents(redis_).realm_options, realm, [](const auto& o) {
      return AdminRow{o.key, o.realm, o.value};
    });
  }
  void set_admin(const std::string& name, const std::string& realm,
                 const std::string& encrypted_password) override {
    const std::string key = std::string(kAdminPrefix) + name;
    ok(redis_.command({"DEL", key}));
    if (realm.empty())
      ok(redis_.command({"HSET", key, "password", encrypted_password}));
    else
      ok(redis_.command({"HSET", key, "realm", realm, "password", encrypted_password}));
  }
  void delete_admin(const std::string& name) override {
    ok(redis_.command({"DEL", std::string(kAdminPrefix) + name}));
  }
  std::vector<AdminRow> list_admins() override {
    std::vector<AdminRow> rows;
    for (const auto& key : redis_.scan(std::string(kAdminPrefix) + "*")) {
      auto realm = redis_.command({"HGET", key, "realm"});
      rows.push_back({key.substr(kAdminPrefix.size()),
                      realm.type == RedisValue::Type::kString ? realm.text : "",
                      {}});
    }
    return sorted(std::move(rows));
  }
  void add_origin(const std::string& origin, const std::string& realm) override {
    ok(redis_.command({"SET", std::string(kOriginPrefix) + origin, realm}));
  }
  void delete_origin(const std::string& origin) override {
    ok(redis_.command({"DEL", std::string(kOriginPrefix) + origin}));
  }
  std::vector<AdminRow> list_origins(const std::string& realm) override {
    return of_realm(read_redis_contents(redis_).origins, realm, [](const auto& o) {
      return AdminRow{o.key, o.realm, {}};
    });
  }

 protected:
  std::string unsupported_message(const char* what) const override {
    return std::string(what) + ": not supported";
  }

 private:
  void ok(const RedisValue& v) {
    if (v.is_error())
      throw UserDbError(redis_.settings().describe() + ": " + v.text);
  }
  /// The rows of `list` in `realm` ("" = every realm), as turnadmin prints them.
  template <typename List, typename ToRow>
  static std::vector<AdminRow> of_realm(const List& list, const std::string& realm, ToRow to_row) {
    std::vector<AdminRow> rows;
    for (const auto& e : list) {
      if (realm.empty() || e.realm == realm)
        rows.push_back(to_row(e));
    }
    return sorted(std::move(rows));
  }
  static std::vector<AdminRow> sorted(std::vector<AdminRow> rows) {
    std::sort(rows.begin(), rows.end(), [](const AdminRow& a, const AdminRow& b) {
      return std::tie(a.realm, a.name) < std::tie(b.realm, b.name);
    });
    return rows;
  }

  RedisClient redis_;
};

}  // namespace

std::unique_ptr<AdminStore> make_redis_store(const std::string& connection_string) {
  return std::make_unique<RedisStore>(connection_string);
}

}  // namespace turn::userdb
