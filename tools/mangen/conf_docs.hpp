// The annotated conf/turnserver.conf read as documentation: for each option it shows, the
// section it sits in and the comment block above it. turnd(8) is written from these and the
// option table, so the page, the shipped config and the loader describe the same options.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mangen {

struct OptionDoc {
  std::string section;  ///< "Listeners", from "# --- Listeners ---"
  std::string text;     ///< the comment lines above it, joined ("" when none)
  std::string example;  ///< the option line itself, uncommented ("listening-port=3478")
};

struct ConfDocs {
  std::vector<std::string> sections;         ///< in file order
  std::map<std::string, OptionDoc> options;  ///< by option name
};

/// Reads the file's lines: "# --- Title ---" starts a section, "# text" adds to the current
/// comment block, and "#name..." or "name..." with a name `is_option` accepts is an option line
/// (consecutive option lines share the block above them). Throws std::runtime_error when the
/// file cannot be read.
ConfDocs read_conf_docs(const std::string& path, bool (*is_option)(const std::string& name));

}  // namespace mangen
