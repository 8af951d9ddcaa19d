#include "admin/admin_api.hpp"

#include <nlohmann/json.hpp>

namespace turn {
namespace {

using nlohmann::json;

json traffic_json(std::uint64_t packets, std::uint64_t bytes) {
  return {{"packets", packets}, {"bytes", bytes}};
}

json session_json(const SessionInfo& s) {
  json channels = json::array();
  for (const auto& c : s.channels)
    channels.push_back({{"number", c.number}, {"peer", c.peer}});
  return {{"id", s.id},
          {"worker", s.worker},
          {"client", s.client},
          {"transport", s.transport},
          {"user", s.user},
          {"realm", s.realm},
          {"relay", s.relays},
          {"tcp_relay", s.tcp_relay},
          {"age_s", s.age_s},
          {"lifetime_left_s", s.lifetime_left_s},
          {"client_to_peer", traffic_json(s.traffic.client_packets, s.traffic.client_bytes)},
          {"peer_to_client", traffic_json(s.traffic.peer_packets, s.traffic.peer_bytes)},
          {"permissions", s.permissions},
          {"channels", channels}};
}

AdminResponse reply(int status, const json& body) {
  // Replaces what is not UTF-8 (a user name from the network) rather than throwing.
  return {status, body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

AdminResponse error(int status, const std::string& message) {
  return reply(status, {{"error", message}});
}

AdminResponse unavailable() {
  return error(503, "the server did not answer in time (stopping, or overloaded)");
}

std::string query(const AdminRequest& r, const std::string& name) {
  auto it = r.query.find(name);
  return it == r.query.end() ? std::string() : it->second;
}

AdminResponse sessions(AdminBackend& backend, const AdminRequest& r, const std::string& id) {
  if (r.method == "DELETE") {
    const std::string user = query(r, "user");
    if (id.empty() && user.empty())
      return error(400, "name a session (/v1/sessions/ID) or a user (?user=U)");
    auto ended = backend.admin_end_sessions(id, id.empty() ? user : std::string());
    if (!ended)
      return unavailable();
    if (!id.empty() && *ended == 0)
      return error(404, "no session " + id);
    return reply(200, {{"ended", *ended}});
  }
  if (r.method != "GET")
    return error(405, "use GET or DELETE");
  auto list = backend.admin_sessions(id.empty() ? query(r, "user") : std::string());
  if (!list)
    return unavailable();
  if (!id.empty()) {
    for (const auto& s : *list) {
      if (s.id == id)
        return reply(200, session_json(s));
    }
    return error(404, "no session " + id);
  }
  json out = json::array();
  for (const auto& s : *list)
    out.push_back(session_json(s));
  return reply(200, {{"sessions", out}});
}

AdminResponse bans(AdminBackend& backend, const AdminRequest& r, std::uint64_t now_s) {
  if (r.method == "DELETE") {
    const std::string source = query(r, "source");
    if (source.empty())
      return error(400, "name the source: ?source=ADDRESS (an IPv6 ban: its /64, as listed)");
    if (!backend.admin_unban(source))
      return error(404, source + " is not banned");
    return reply(200, {{"unbanned", source}});
  }
  if (r.method != "GET")
    return error(405, "use GET or DELETE");
  json out = json::array();
  for (const auto& b : backend.admin_bans()) {
    out.push_back({{"source", b.source},
                   {"until", b.until_s},
                   {"left_s", b.until_s > now_s ? b.until_s - now_s : 0}});
  }
  return reply(200, {{"bans", out}});
}

}  // namespace

AdminResponse handle_admin_request(AdminBackend& backend, const AdminRequest& r,
                                   std::uint64_t now_s) {
  const std::string& p = r.path;
  static const std::string kSessions = "/v1/sessions";
  if (p == kSessions || p == kSessions + "/")
    return sessions(backend, r, {});
  if (p.rfind(kSessions + "/", 0) == 0)
    return sessions(backend, r, p.substr(kSessions.size() + 1));
  if (p == "/v1/bans")
    return bans(backend, r, now_s);
  if (p == "/v1/drain" || p == "/v1/reload") {
    if (r.method != "POST")
      return error(405, "use POST");
    if (p == "/v1/drain") {
      auto draining = backend.admin_drain();
      return draining ? reply(200, {{"draining", *draining}}) : unavailable();
    }
    auto reloaded = backend.admin_reload();
    if (!reloaded)
      return unavailable();
    if (!*reloaded)
      return reply(500, {{"reloaded", false},
                         {"error",
                          "the new configuration was refused; the running one stays "
                          "(the server log says why)"}});
    return reply(200, {{"reloaded", true}});
  }
  if (p == "/v1/config") {
    if (r.method != "GET")
      return error(405, "use GET");
    auto text = backend.admin_config();
    return text ? reply(200, {{"config", *text}}) : unavailable();
  }
  return error(404, "no such resource: " + p);
}

}  // namespace turn
