// One connection to Redis through hiredis (Debian's 0.14: no TLS), with coturn's connection
// string (`ip= dbname= password= port= connect_timeout=`): commands as argument vectors (no
// format strings, so a user name cannot inject a command), pipelining, and a keyspace-
// notification subscription for noticing changes without polling every key.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;
struct redisReply;

namespace turn::userdb {

struct RedisSettings {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string password;
  unsigned connect_timeout_s = 5;
  /// Parses coturn's redis-userdb string; throws UserDbError on an unknown key or bad number.
  static RedisSettings parse(std::string_view text);
  std::string describe() const;  ///< "Redis host:port db N", no password
};

/// A reply: nil, integer, string (also status and error) or array.
struct RedisValue {
  enum class Type : unsigned char { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  long long integer = 0;
  std::string text;
  std::vector<RedisValue> elements;
  bool is_error() const { return type == Type::kError; }
};

class RedisClient {
 public:
  /// Connects, AUTHs and SELECTs now; every later command waits at most a few seconds.
  /// Throws UserDbError.
  explicit RedisClient(RedisSettings settings);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// One command; a Redis error reply is returned as kError, a broken connection throws.
  RedisValue command(const std::vector<std::string_view>& argv);
  /// Many commands in one round trip; the replies in order.
  std::vector<RedisValue> pipeline(const std::vector<std::vector<std::string>>& commands);
  /// Every key matching `pattern`, by SCAN (never KEYS: it would block the server).
  std::vector<std::string> scan(std::string_view pattern);

  /// Subscribes this connection to keyspace notifications for keys matching `pattern` when the
  /// server has them on (notify-keyspace-events with K and the generic, string and set
  /// classes); false when it does not (the caller polls). After true, this connection only
  /// receives: wait on fd(), then drain_notifications().
  bool subscribe_keyspace(std::string_view pattern);
  int fd() const;
  /// Reads what is buffered on fd(); true when at least one notification arrived. Throws
  /// UserDbError when the connection broke.
  bool drain_notifications();

  const RedisSettings& settings() const { return settings_; }

 private:
  [[noreturn]] void fail(const std::string& what) const;

  RedisSettings settings_;
  redisContext* ctx_ = nullptr;
};

}  // namespace turn::userdb
