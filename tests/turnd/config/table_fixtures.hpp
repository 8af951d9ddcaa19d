// Helpers for the option-table tests: load a file's text or a command line the way turnd does,
// and compare configurations without where each option came from.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "config/option_table.hpp"

namespace tabletest {

/// A configuration file removed at scope exit.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/turnd-table-test-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream(path) << text;
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

/// What the file's text loads to, through read_config_file (origins are path:line).
inline turn::Config from_file(const TempFile& file, std::vector<std::string>& warnings) {
  return turn::apply_entries(turn::read_config_file(file.path, warnings), {}, warnings);
}

inline turn::Config from_text(const std::string& text) {
  TempFile file(text);
  std::vector<std::string> warnings;
  return from_file(file, warnings);
}

/// The ConfigError the file's text raises, or "".
inline std::string error_of(const TempFile& file) {
  std::vector<std::string> warnings;
  try {
    from_file(file, warnings);
  } catch (const turn::ConfigError& e) {
    return e.what();
  }
  return "";
}

/// The entry as a file line: `name=example`, or the bare name.
inline std::string line_of(const turn::OptionDef& o) {
  return o.example.empty() ? std::string(o.name)
                           : std::string(o.name) + "=" + std::string(o.example);
}

inline turn::Config without_origins(turn::Config c) {
  c.origins.clear();
  return c;
}

inline std::vector<const turn::OptionDef*> entries(std::initializer_list<turn::Role> roles) {
  std::vector<const turn::OptionDef*> out;
  for (const auto& o : turn::option_table()) {
    for (auto r : roles) {
      if (o.role == r)
        out.push_back(&o);
    }
  }
  return out;
}

/// The setting whose field an entry sets: itself, or the one it is an alias of.
inline const turn::OptionDef& setting_of(const turn::OptionDef& o) {
  if (o.role != turn::Role::kAlias)
    return o;
  const turn::OptionDef* s = turn::find_option(o.alias_of);
  REQUIRE(s != nullptr);
  return *s;
}

}  // namespace tabletest
