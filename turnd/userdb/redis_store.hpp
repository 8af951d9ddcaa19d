// coturn's Redis user database (schema.userdb.redis), key for key:
//   turn/realm/<realm>/user/<user>/key        hex MD5(user:realm:password)  (string)
//   turn/realm/<realm>/user/<user>/password   a plain password              (string)
//   turn/realm/<realm>/secret                 TURN REST secrets             (set)
//   turn/realm/<realm>/{max-bps,total-quota,user-quota}                     (string)
//   turn/realm/<realm>/{allowed,denied}-peer-ip                             (set)
//   turn/origin/<origin>                      the origin's realm            (string)
//   turn/admin_user/<name>                    fields realm, password        (hash)
#pragma once

#include <memory>
#include <string>

#include "userdb/admin_store.hpp"
#include "userdb/redis_client.hpp"
#include "userdb/sqlite_db.hpp"

namespace turn::userdb {

/// Everything turnd reads, by SCAN and one pipelined round of GET/SMEMBERS. A key of an
/// unexpected type is skipped (not an error: another tool may keep its own keys there).
DbContents read_redis_contents(RedisClient& redis);

/// turnadmin -N: writes as coturn's turnadmin does, so either tool reads the other's writes.
std::unique_ptr<AdminStore> make_redis_store(const std::string& connection_string);

}  // namespace turn::userdb
