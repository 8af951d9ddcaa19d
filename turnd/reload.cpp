#include "reload.hpp"

#include "config/option_table.hpp"

namespace turn {

std::vector<std::string> keep_restart_only(const Config& running, Config& next) {
  // The table says which settings need a restart (listening sockets, worker count, relay port
  // range, realm and nonce lifetime, metrics listener, process identity) and why.
  std::vector<std::string> changed;
  for (const auto& option : option_table()) {
    if (option.role != Role::kSetting || option.reload != Reload::kRestart)
      continue;
    if (!option.same(running, next)) {
      changed.emplace_back(option.name);
      option.copy(running, next);
    }
  }
  return changed;
}

}  // namespace turn
