#include "admin_commands.hpp"

#include <cstdio>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "http_client.hpp"

namespace turnctl {
namespace {

using nlohmann::json;

std::pair<std::string, std::string> request_of(const AdminCommand& c) {
  switch (c.verb) {
    case AdminVerb::kSessions:
      return {"GET", c.user.empty() ? "/v1/sessions" : "/v1/sessions?user=" + url_encode(c.user)};
    case AdminVerb::kShow:
      return {"GET", "/v1/sessions/" + url_encode(c.id)};
    case AdminVerb::kKill:
      return {"DELETE", c.id.empty() ? "/v1/sessions?user=" + url_encode(c.user)
                                     : "/v1/sessions/" + url_encode(c.id)};
    case AdminVerb::kDrain:
      return {"POST", "/v1/drain"};
    case AdminVerb::kReload:
      return {"POST", "/v1/reload"};
    case AdminVerb::kConfig:
      return {"GET", "/v1/config"};
    case AdminVerb::kBans:
      return {"GET", "/v1/bans"};
    case AdminVerb::kUnban:
      return {"DELETE", "/v1/bans?source=" + url_encode(c.source)};
  }
  return {"GET", "/"};
}

std::string text(const json& j) {
  if (j.is_string())
    return j.get<std::string>();
  if (j.is_null())
    return "-";
  return j.dump();
}

/// 1234567 -> "1.2M": the table's traffic columns stay narrow.
std::string human(std::uint64_t n) {
  const char* units = "kMGTP";
  if (n < 1000)
    return std::to_string(n);
  double v = static_cast<double>(n);
  int u = -1;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
  return buf;
}

std::string traffic(const json& t) {
  return human(t.value("packets", 0ull)) + " pkt " + human(t.value("bytes", 0ull)) + "B";
}

std::string seconds(const json& s) {
  const auto v = s.get<std::uint64_t>();
  if (v < 120)
    return std::to_string(v) + "s";
  if (v < 7200)
    return std::to_string(v / 60) + "m";
  return std::to_string(v / 3600) + "h";
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : separator) + i;
  return out.empty() ? "-" : out;
}

std::string relays(const json& s) {
  std::vector<std::string> r;
  for (const auto& a : s["relay"])
    r.push_back(text(a));
  return joined(r, ",") + (s.value("tcp_relay", false) ? " (tcp)" : "");
}

/// Prints rows with each column as wide as its widest cell.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

void print_sessions(const json& body) {
  const json& list = body["sessions"];
  if (list.empty()) {
    std::printf("no sessions\n");
    return;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "USER", "TRANSPORT", "CLIENT", "RELAY", "AGE",
                                              "LEFT", "PERMS", "CHANNELS", "CLIENT->PEER",
                                              "PEER->CLIENT"}};
  for (const auto& s : list) {
    rows.push_back({text(s["id"]), text(s["user"]), text(s["transport"]), text(s["client"]),
                    relays(s), seconds(s["age_s"]), seconds(s["lifetime_left_s"]),
                    std::to_string(s["permissions"].size()), std::to_string(s["channels"].size()),
                    traffic(s["client_to_peer"]), traffic(s["peer_to_client"])});
  }
  print_table(rows);
  std::printf("%zu session(s)\n", list.size());
}

void print_session(const json& s) {
  std::vector<std::string> permissions;
  for (const auto& p : s["permissions"])
    permissions.push_back(text(p));
  std::vector<std::string> channels;
  for (const auto& c : s["channels"])
    channels.push_back(std::to_string(c.value("number", 0)) + " -> " + text(c["peer"]));
  const auto& up = s["client_to_peer"];
  const auto& down = s["peer_to_client"];
  print_table({
      {"id:", text(s["id"])},
      {"worker:", text(s["worker"])},
      {"client:", text(s["client"]) + " over " + text(s["transport"])},
      {"user:", text(s["user"]) + " (realm " + text(s["realm"]) + ")"},
      {"relay:", relays(s)},
      {"age:", std::to_string(s.value("age_s", 0ull)) + " s"},
      {"lifetime left:", std::to_string(s.value("lifetime_left_s", 0ull)) + " s"},
      {"client->peer:", std::to_string(up.value("packets", 0ull)) + " packets, " +
                            std::to_string(up.value("bytes", 0ull)) + " bytes"},
      {"peer->client:", std::to_string(down.value("packets", 0ull)) + " packets, " +
                            std::to_string(down.value("bytes", 0ull)) + " bytes"},
      {"permissions:", joined(permissions, ", ")},
      {"channels:", joined(channels, ", ")},
  });
}

std::string utc(std::uint64_t epoch_s) {
  const std::time_t t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void print_bans(const json& body) {
  const json& list = body["bans"];
  if (list.empty()) {
    std::printf("no bans\n");
    return;
  }
  std::vector<std::vector<std::string>> rows{{"SOURCE", "LEFT", "UNTIL"}};
  for (const auto& b : list)
    rows.push_back({text(b["source"]), seconds(b["left_s"]), utc(b.value("until", 0ull))});
  print_table(rows);
}

void print_human(const AdminCommand& c, const json& body) {
  switch (c.verb) {
    case AdminVerb::kSessions:
      return print_sessions(body);
    case AdminVerb::kShow:
      return print_session(body);
    case AdminVerb::kKill:
      std::printf("ended %s session(s)\n", text(body["ended"]).c_str());
      return;
    case AdminVerb::kDrain:
      std::printf(
          "draining: new allocations are refused (or redirected to the alternate servers); turnd "
          "stops once the last one ends\n");
      return;
    case AdminVerb::kReload:
      std::printf("reloaded: configuration and users applied, allocations kept\n");
      return;
    case AdminVerb::kConfig:
      std::printf("%s", text(body["config"]).c_str());
      return;
    case AdminVerb::kBans:
      return print_bans(body);
    case AdminVerb::kUnban:
      std::printf("unbanned %s\n", text(body["unbanned"]).c_str());
      return;
  }
}

}  // namespace

int run_admin_command(const AdminCommand& command, const AdminEndpoint& endpoint) {
  auto [method, path] = request_of(command);
  AdminReply reply;
  try {
    reply = admin_call(endpoint, method, path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "turnctl: admin API at %s: %s\n", endpoint.address.to_string().c_str(),
                 e.what());
    return 1;
  }
  if (reply.status == 401 || reply.status == 429) {
    std::fprintf(stderr, "turnctl: admin API at %s refused: %s (HTTP %d)\n",
                 endpoint.address.to_string().c_str(), text(reply.body["error"]).c_str(),
                 reply.status);
    return kExitAuthRefused;
  }
  if (!reply.ok()) {
    std::fprintf(stderr, "turnctl: %s (HTTP %d)\n",
                 text(reply.body.value("error", json("the server failed the command"))).c_str(),
                 reply.status);
    if (command.json)
      std::printf("%s\n", reply.body.dump(2).c_str());
    return 1;
  }
  if (command.json) {
    std::printf("%s\n", reply.body.dump(2).c_str());
  } else {
    print_human(command, reply.body);
  }
  return 0;
}

}  // namespace turnctl
