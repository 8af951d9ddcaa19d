#include "userdb/remote_db.hpp"

#include "config/option_values.hpp"
#include "userdb/mysql_connection.hpp"
#include "userdb/postgres_connection.hpp"
#include "userdb/redis_store.hpp"
#include "userdb/sql_queries.hpp"
#include "userdb/sql_store.hpp"

namespace turn::userdb {

RemoteDbSpec RemoteDbSpec::from(const Config& config) {
  if (!config.redis_userdb.empty())
    return {DbKind::kRedis, config.redis_userdb};
  if (!config.psql_userdb.empty())
    return {DbKind::kPostgres, config.psql_userdb};
  if (!config.mysql_userdb.empty())
    return {DbKind::kMysql, config.mysql_userdb};
  return {};
}

std::string RemoteDbSpec::describe() const {
  if (kind == DbKind::kRedis) {
    try {
      return RedisSettings::parse(connection).describe();
    } catch (const UserDbError&) {
    }
  }
  return std::string(to_string(kind)) + " '" + masked_connection_string(connection) + "'";
}

DbContents RemoteDb::read() {
  try {
    if (spec_.kind == DbKind::kRedis) {
      if (!redis_)
        redis_ = std::make_unique<RedisClient>(RedisSettings::parse(spec_.connection));
      return read_redis_contents(*redis_);
    }
    if (!sql_) {
      sql_ = spec_.kind == DbKind::kPostgres ? connect_postgres(spec_.connection)
                                             : connect_mysql(spec_.connection);
    }
    return read_contents(*sql_);
  } catch (...) {
    sql_.reset();
    redis_.reset();
    throw;
  }
}

int RemoteDb::change_fd() {
  if (spec_.kind != DbKind::kRedis || notifications_off_)
    return -1;
  if (!subscriber_) {
    try {
      auto s = std::make_unique<RedisClient>(RedisSettings::parse(spec_.connection));
      if (!s->subscribe_keyspace("turn/*")) {
        notifications_off_ = true;
        return -1;
      }
      subscriber_ = std::move(s);
    } catch (const UserDbError&) {
      return -1;  // unreachable: read() reports it; try again on the next round
    }
  }
  return subscriber_->fd();
}

bool RemoteDb::changes_announced() {
  if (!subscriber_)
    return false;
  try {
    return subscriber_->drain_notifications();
  } catch (const UserDbError&) {
    subscriber_.reset();
    return true;  // what happened meanwhile is unknown: read again
  }
}

std::unique_ptr<AdminStore> open_remote_store(const RemoteDbSpec& spec) {
  switch (spec.kind) {
    case DbKind::kRedis:
      return make_redis_store(spec.connection);
    case DbKind::kPostgres:
      return make_sql_store(connect_postgres(spec.connection), DbKind::kPostgres);
    case DbKind::kMysql:
      return make_sql_store(connect_mysql(spec.connection), DbKind::kMysql);
    default:
      throw UserDbError("no database server configured");
  }
}

}  // namespace turn::userdb
