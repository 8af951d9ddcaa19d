#include "userdb/redis_client.hpp"

#include <hiredis/hiredis.h>

#include "userdb/connection_string.hpp"
#include "userdb/keys.hpp"

namespace turn::userdb {
namespace {

/// Commands after the connect: a Redis that stops answering fails them within this bound.
constexpr timeval kCommandTimeout{5, 0};

RedisValue convert(const redisReply* r) {
  RedisValue v;
  if (r == nullptr)
    return v;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::Type::kInteger;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      v.type = r->type == REDIS_REPLY_STRING   ? RedisValue::Type::kString
               : r->type == REDIS_REPLY_STATUS ? RedisValue::Type::kStatus
                                               : RedisValue::Type::kError;
      v.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::Type::kArray;
      for (size_t i = 0; i < r->elements; ++i)
        v.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;
  }
  return v;
}

struct ReplyFree {
  void operator()(void* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<void, ReplyFree>;

}  // namespace

RedisSettings RedisSettings::parse(std::string_view text) {
  const auto cs = ConnectionString::parse(text);
  // coturn's dbd_redis.c keys, with its aliases.
  cs.require_known({"ip", "host", "dbname", "db", "database", "password", "pwd", "port",
                    "connect_timeout", "user", "name"},
                   "redis-userdb");
  RedisSettings s;
  if (auto v = cs.get("ip"))
    s.host = *v;
  else if (auto h = cs.get("host"))
    s.host = *h;
  s.port = static_cast<int>(cs.number_or("port", 6379));
  for (const char* key : {"dbname", "db", "database"}) {
    if (cs.get(key)) {
      s.db = static_cast<int>(cs.number_or(key, 0));
      break;
    }
  }
  s.password = cs.get_or("password", cs.get_or("pwd", ""));
  s.connect_timeout_s = cs.number_or("connect_timeout", 5);
  if (s.connect_timeout_s == 0)
    s.connect_timeout_s = 5;
  return s;
}

std::string RedisSettings::describe() const {
  return "Redis " + host + ":" + std::to_string(port) + " db " + std::to_string(db);
}

RedisClient::RedisClient(RedisSettings settings) : settings_(std::move(settings)) {
  const timeval connect{static_cast<time_t>(settings_.connect_timeout_s), 0};
  ctx_ = redisConnectWithTimeout(settings_.host.c_str(), settings_.port, connect);
  if (ctx_ == nullptr)
    throw UserDbError(settings_.describe() + ": out of memory");
  if (ctx_->err != 0) {
    const std::string why = ctx_->errstr;
    redisFree(ctx_);
    ctx_ = nullptr;
    throw UserDbError(settings_.describe() + ": cannot connect: " + why);
  }
  redisSetTimeout(ctx_, kCommandTimeout);
  try {
    if (!settings_.password.empty()) {
      auto r = command({"AUTH", settings_.password});
      if (r.is_error())
        throw UserDbError(settings_.describe() + ": AUTH refused: " + r.text);
    }
    if (settings_.db != 0) {
      auto r = command({"SELECT", std::to_string(settings_.db)});
      if (r.is_error())
        throw UserDbError(settings_.describe() + ": SELECT refused: " + r.text);
    }
  } catch (...) {
    redisFree(ctx_);
    ctx_ = nullptr;
    throw;
  }
}

RedisClient::~RedisClient() {
  if (ctx_ != nullptr)
    redisFree(ctx_);
}

void RedisClient::fail(const std::string& what) const {
  throw UserDbError(settings_.describe() + ": " + what + ": " +
                    (ctx_->err != 0 ? ctx_->errstr : "connection lost"));
}

RedisValue RedisClient::command(const std::vector<std::string_view>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (auto a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  ReplyPtr reply(redisCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
  if (!reply)
    fail(std::string(argv.empty() ? "" : argv[0]));
  return convert(static_cast<redisReply*>(reply.get()));
}

std::vector<RedisValue> RedisClient::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  for (const auto& argv : commands) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()) !=
        REDIS_OK) {
      fail("pipeline");
    }
  }
  std::vector<RedisValue> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK)
      fail("pipeline");
    ReplyPtr reply(raw);
    out.push_back(convert(static_cast<redisReply*>(raw)));
  }
  return out;
}

std::vector<std::string> RedisClient::scan(std::string_view pattern) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  // Bounded: SCAN returns cursor 0 once the keyspace was walked; a server that never did would
  // be broken, and 1e6 rounds of 1000 are far beyond any user database.
  for (int round = 0; round < 1'000'000; ++round) {
    auto r = command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (r.type != RedisValue::Type::kArray || r.elements.size() != 2)
      throw UserDbError(settings_.describe() + ": SCAN: unexpected reply " + r.text);
    cursor = r.elements[0].text;
    for (auto& k : r.elements[1].elements)
      keys.push_back(std::move(k.text));
    if (cursor == "0")
      break;
  }
  return keys;
}

bool RedisClient::subscribe_keyspace(std::string_view pattern) {
  auto conf = command({"CONFIG", "GET", "notify-keyspace-events"});
  if (conf.type != RedisValue::Type::kArray || conf.elements.size() != 2)
    return false;  // CONFIG renamed or refused: poll
  const std::string& flags = conf.elements[1].text;
  auto has = [&](char c) { return flags.find(c) != std::string::npos; };
  // K: keyspace channel; A = g$lshzxet, and users, secrets and options need generic (del),
  // string (set) and set (sadd/srem) events.
  if (!has('K') || !(has('A') || (has('g') && has('$') && has('s'))))
    return false;
  const std::string channel =
      "__keyspace@" + std::to_string(settings_.db) + "__:" + std::string(pattern);
  auto r = command({"PSUBSCRIBE", channel});
  if (r.is_error())
    return false;
  return true;
}

int RedisClient::fd() const {
  return ctx_->fd;
}

bool RedisClient::drain_notifications() {
  if (redisBufferRead(ctx_) != REDIS_OK)
    fail("keyspace notifications");
  bool any = false;
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK)
      fail("keyspace notifications");
    if (raw == nullptr)
      return any;
    ReplyPtr reply(raw);
    const auto v = convert(static_cast<redisReply*>(raw));
    if (v.type == RedisValue::Type::kArray && !v.elements.empty() &&
        v.elements[0].text == "pmessage") {
      any = true;
    }
  }
}

}  // namespace turn::userdb
