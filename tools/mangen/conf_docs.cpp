#include "conf_docs.hpp"

#include <cctype>
#include <fstream>
#include <stdexcept>

namespace mangen {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

/// The option name an option line starts with, or "".
std::string option_name(const std::string& line) {
  std::size_t i = line.rfind('#', 0) == 0 ? 1 : 0;
  const std::size_t start = i;
  while (i < line.size() &&
         (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '-' || line[i] == '_')) {
    ++i;
  }
  if (i == start || !std::isalpha(static_cast<unsigned char>(line[start])))
    return {};
  if (i < line.size() && line[i] != '=' && line[i] != ' ')
    return {};
  return line.substr(start, i - start);
}

}  // namespace

ConfDocs read_conf_docs(const std::string& path, bool (*is_option)(const std::string& name)) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read " + path);
  ConfDocs docs;
  std::string section;
  std::string block;
  bool after_option = false;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.rfind("# ---", 0) == 0) {
      section = trim(line.substr(5));
      section = trim(section.substr(0, section.find(" --")));
      docs.sections.push_back(section);
      block.clear();
      after_option = false;
      continue;
    }
    if (line.empty()) {
      block.clear();
      after_option = false;
      continue;
    }
    const std::string name = option_name(line);
    if (!name.empty() && is_option(name)) {
      OptionDoc& d = docs.options[name];
      if (d.example.empty()) {
        d.section = section;
        d.text = block;
        d.example = line[0] == '#' ? line.substr(1) : line;
      }
      after_option = true;
      continue;
    }
    if (line[0] == '#') {
      if (after_option)
        block.clear();
      after_option = false;
      const std::string text = trim(line.substr(1));
      block += block.empty() ? text : " " + text;
    }
  }
  return docs;
}

}  // namespace mangen
