// turnadmin: coturn's user-database tool (coturn's README.turnadmin, turnadmin(1)), same commands,
// options and output, on coturn's SQLite schema or a flat user file. Unlike coturn it writes no
// log file: errors go to stderr with a non-zero exit (1 = failed, 2 = bad command line).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stun/integrity.hpp"
#include "userdb/admin_store.hpp"
#include "userdb/keys.hpp"
#include "userdb/remote_db.hpp"

namespace {

using turn::userdb::AdminRow;
using turn::userdb::AdminStore;

constexpr const char* kUsage = R"(
Usage: turnadmin [command] [options]

Commands:

	-P, --generate-encrypted-password	Print an encrypted form of the password (-p)
					for a web admin user or cli-password: $5$<salt>$<sha256>.
	-k, --key			generate long-term credential mechanism key for a user
	-a, --add			add/update a long-term mechanism user
	-A, --add-admin			add/update a web admin user
	-d, --delete			delete a long-term mechanism user
	-D, --delete-admin		delete an admin user
	-l, --list			list all long-term mechanism users
	-L, --list-admin		list all admin users
	-s, --set-secret=<value>	Add shared secret for TURN REST API
	-S, --show-secret		Show stored shared secrets for TURN REST API
	-X, --delete-secret=<value>	Delete a shared secret
	    --delete-all-secrets	Delete all shared secrets for REST API
	-O, --add-origin		Add origin-to-realm relation.
	-R, --del-origin		Delete origin-to-realm relation.
	-I, --list-origins		List origin-to-realm relations.
	-g, --set-realm-option		Set realm params: max-bps, total-quota, user-quota.
	-G, --list-realm-options	List realm params.

Options with mandatory values:

	-b, --db, --userdb		SQLite database file (or flat user file: an existing text
					  file, or a new file named *.conf or *.txt), default value is
					  /var/lib/turn/turndb (or /var/db/turndb, /usr/local/var/db/turndb).
	-e, --psql-userdb, --sql-userdb	PostgreSQL connection string (libpq's), e.g.
					  "host=127.0.0.1 dbname=coturn user=turn password=... connect_timeout=5".
	-M, --mysql-userdb		MySQL/MariaDB connection string, e.g. "host=127.0.0.1
					  dbname=coturn user=turn password=... port=3306 connect_timeout=5".
	-N, --redis-userdb		Redis connection string, e.g. "ip=127.0.0.1 dbname=0
					  password=... port=6379 connect_timeout=5".
	-u, --user			Username
	-r, --realm			Realm
	-p, --password			Password
	-o, --origin			Origin
	--max-bps			Set value of realm's max-bps parameter.
					Setting to zero value means removal of the option.
	--total-quota			Set value of realm's total-quota parameter.
					Setting to zero value means removal of the option.
	--user-quota			Set value of realm's user-quota parameter.
					Setting to zero value means removal of the option.
	-h, --help			Help

Not supported: -J/--mongo-userdb, -E, -x, -f, -v.
)";

/// A failure that ends the run: message to stderr, then exit `code`.
struct Exit {
  std::string message;
  int code = 1;
};

std::string default_db_path() {
  for (const char* p : {"/var/lib/turn/turndb", "/var/db/turndb", "/usr/local/var/db/turndb"}) {
    std::error_code ec;
    if (std::filesystem::exists(p, ec))
      return p;
  }
  return "/var/lib/turn/turndb";
}

void must_set(const std::string& value, const char* what) {
  if (value.empty())
    throw Exit{std::string("The operation cannot be completed: the ") + what + " must be set."};
}

struct Args {
  std::string db, user, realm, password, origin, secret;
  std::optional<std::uint64_t> user_quota, total_quota, max_bps;
  turn::userdb::RemoteDbSpec server;  ///< -N / -e / -M: a database server instead of -b
};

void print_rows(const std::vector<AdminRow>& rows) {
  for (const auto& r : rows)
    std::cout << r.name << '[' << r.realm << "]\n";
}

int run(const std::string& command, const Args& a) {
  if (command == "P") {
    std::cout << turn::userdb::encrypt_password(a.password) << '\n';
    return 0;
  }
  const std::string db = a.db.empty() ? default_db_path() : a.db;
  auto open = [&](bool write) {
    if (a.server.configured())
      return turn::userdb::open_remote_store(a.server);
    return AdminStore::open(db, write);
  };

  if (command == "l") {
    print_rows(open(false)->list_users(a.realm));
    return 0;
  }
  if (command == "L") {
    for (const auto& r : open(false)->list_admins()) {
      std::cout << r.name;
      if (!r.realm.empty())
        std::cout << '[' << r.realm << ']';
      std::cout << '\n';
    }
    return 0;
  }
  if (command == "I") {
    for (const auto& r : open(false)->list_origins(a.realm))
      std::cout << r.name << " ==>> " << r.realm << '\n';
    return 0;
  }
  if (command == "S") {
    print_rows(open(false)->list_secrets(a.realm));
    return 0;
  }
  if (command == "s") {
    if (a.secret.empty())
      return 0;  // coturn: an empty secret is silently nothing to do
    must_set(a.realm, "realm");
    open(true)->set_secret(a.realm, a.secret);
    return 0;
  }
  if (command == "X" || command == "delete-all-secrets") {
    must_set(a.realm, "realm");
    open(true)->delete_secret(a.realm, command == "X" ? a.secret : std::string());
    return 0;
  }
  if (command == "O") {
    must_set(a.origin, "origin");
    must_set(a.realm, "realm");
    open(true)->add_origin(turn::userdb::canonic_origin(a.origin), a.realm);
    return 0;
  }
  if (command == "R") {
    must_set(a.origin, "origin");
    open(true)->delete_origin(turn::userdb::canonic_origin(a.origin));
    return 0;
  }
  if (command == "g") {
    must_set(a.realm, "realm");
    if (!a.max_bps && !a.user_quota && !a.total_quota)
      throw Exit{"The operation cannot be completed: a realm option must be set."};
    auto store = open(true);
    if (a.max_bps)
      store->set_realm_option(a.realm, "max-bps", *a.max_bps);
    if (a.user_quota)
      store->set_realm_option(a.realm, "user-quota", *a.user_quota);
    if (a.total_quota)
      store->set_realm_option(a.realm, "total-quota", *a.total_quota);
    return 0;
  }
  if (command == "G") {
    for (const auto& r : open(false)->list_realm_options(a.realm))
      std::cout << r.name << '[' << r.realm << "]=" << r.value << '\n';
    return 0;
  }

  // User commands (coturn adminuser()).
  must_set(a.user, "user");
  const bool is_admin = command == "A" || command == "D";
  const bool is_delete = command == "d" || command == "D";
  std::string hex_key;
  if (!is_delete && !is_admin) {
    must_set(a.password, "password");
    hex_key = turn::to_hex(stun::long_term_key_md5(a.user, a.realm, a.password));
  }
  if (command == "k") {
    std::cout << "0x" << hex_key << '\n';
    return 0;
  }
  if (!is_admin)
    must_set(a.realm, "realm");
  auto store = open(true);
  if (command == "d") {
    store->delete_user(a.realm, a.user);
  } else if (command == "D") {
    store->delete_admin(a.user);
  } else if (command == "A") {
    must_set(a.password, "password");
    store->set_admin(a.user, a.realm, turn::userdb::encrypt_password(a.password));
  } else {
    store->set_user(a.realm, a.user, hex_key);
  }
  return 0;
}

std::string prepped(const std::string& value, const char* what) {
  auto p = turn::coturn_saslprep(value);
  if (!p)
    throw Exit{std::string("Wrong ") + what + ": " + value};
  return *p;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"turnadmin: user database tool, compatible with coturn's turnadmin"};
  app.set_help_flag();
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  // Commands: the last one given wins, as with coturn's getopt loop.
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"P", "-P,--generate-encrypted-password"},
      {"k", "-k,--key"},
      {"a", "-a,--add"},
      {"A", "-A,--add-admin"},
      {"d", "-d,--delete"},
      {"D", "-D,--delete-admin"},
      {"l", "-l,--list"},
      {"L", "-L,--list-admin"},
      {"S", "-S,--show-secret"},
      {"delete-all-secrets", "--delete-all-secrets"},
      {"O", "-O,--add-origin"},
      {"R", "-R,--del-origin"},
      {"g", "-g,--set-realm-option"},
      // coturn's real long name is --list-realm-option; its help prints ...-options.
      {"G", "-G,--list-realm-option,--list-realm-options"},
  };
  std::map<const CLI::Option*, std::string> command_of;
  for (const auto& [name, flags] : commands)
    command_of[app.add_flag(flags)] = name;

  Args a;
  std::string set_secret, delete_secret;
  command_of[app.add_option("-s,--set-secret", set_secret)] = "s";
  command_of[app.add_option("-X,--delete-secret", delete_secret)] = "X";
  // coturn declares --list-origins with a required (ignored) argument; -I takes none.
  std::string ignored;
  command_of[app.add_option("-I,--list-origins", ignored)->expected(0, 1)] = "I";

  std::string db, user, realm, password;
  app.add_option("-b,--db,--userdb", a.db);
  app.add_option("-u,--user", user);
  app.add_option("-r,--realm", realm);
  app.add_option("-p,--password", password);
  app.add_option("-o,--origin", a.origin);
  app.add_option("--user-quota", a.user_quota);
  app.add_option("--total-quota", a.total_quota);
  app.add_option("--max-bps", a.max_bps);
  std::string unsupported_value;
  // The last database option given wins, as with coturn's getopt loop.
  std::map<const CLI::Option*, turn::userdb::DbKind> server_of;
  std::string server_connection[3];
  server_of[app.add_option("-e,--psql-userdb,--sql-userdb", server_connection[0])] =
      turn::userdb::DbKind::kPostgres;
  server_of[app.add_option("-M,--mysql-userdb", server_connection[1])] =
      turn::userdb::DbKind::kMysql;
  server_of[app.add_option("-N,--redis-userdb", server_connection[2])] =
      turn::userdb::DbKind::kRedis;
  std::vector<CLI::Option*> unsupported_cmd;
  unsupported_cmd.push_back(app.add_option("-J,--mongo-userdb", unsupported_value));
  unsupported_cmd.push_back(app.add_flag("-E,--generate-encrypted-password-aes"));
  for (const char* flags : {"-x,--key-path", "-f,--file-key-path", "-v,--verify"})
    unsupported_cmd.push_back(app.add_option(flags, unsupported_value));
  bool help = false;
  app.add_flag("-h,--help", help);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "turnadmin: %s\n%s", e.what(), kUsage);
    return 2;
  }
  if (help) {
    std::fputs(kUsage, stdout);
    return 0;
  }

  try {
    for (auto* o : unsupported_cmd) {
      if (o->count() > 0)
        throw Exit{"option " + o->get_name() + " is not supported (yet)"};
    }
    std::string command;
    for (const CLI::Option* o : app.parse_order()) {
      if (auto it = command_of.find(o); it != command_of.end())
        command = it->second;
      if (auto it = server_of.find(o); it != server_of.end()) {
        const auto kind = it->second;
        a.server = {kind, server_connection[kind == turn::userdb::DbKind::kPostgres ? 0
                                            : kind == turn::userdb::DbKind::kMysql  ? 1
                                                                                    : 2]};
      }
    }
    if (command.empty()) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    if (!user.empty()) {
      if (!turn::userdb::is_secure_username(user))
        throw Exit{"Wrong user name structure or symbols, choose another name: " + user};
      a.user = prepped(user, "user name");
      // Stored names are checked after SASLprep, which is what gets written (-k may still
      // print the key of a TURN REST name such as "1700000000:alice").
      if (command == "a" || command == "A") {
        if (auto why = turn::userdb::unstorable_username(a.user))
          throw Exit{"Wrong user name, choose another name: " + *why};
      }
    }
    if (!realm.empty())
      a.realm = prepped(realm, "realm");
    if (!password.empty())
      a.password = prepped(password, "password");
    a.secret = command == "s" ? set_secret : delete_secret;
    if (command == "P" && a.password.empty()) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    return run(command, a);
  } catch (const Exit& e) {
    std::fprintf(stderr, "turnadmin: %s\n", e.message.c_str());
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "turnadmin: %s\n", e.what());
    return 1;
  }
}
