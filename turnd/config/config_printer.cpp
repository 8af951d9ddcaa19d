#include "config/config_printer.hpp"

#include <sstream>

#include "config/option_table.hpp"

namespace turn {

std::string describe_config(const Config& c) {
  // Each setting prints its own lines; aliases and accepted-only names have no field of their
  // own, so the setting they feed speaks for them.
  std::ostringstream o;
  for (const auto& option : option_table()) {
    if (option.role == Role::kSetting)
      option.print(o, c, option.secret);
  }
  return o.str();
}

}  // namespace turn
