// turnd_mangen: writes the man pages at build time, so they cannot drift from the code.
//   turnd_mangen turnd CONF VERSION
//       turnd(8): every option of the loader's table (config/option_table.cpp), each with the
//       comment block the annotated CONF (conf/turnserver.conf) gives it, its short flag,
//       whether it is repeatable or needs a restart, and for coturn names turnd does not act on,
//       the loader's own warning. Fails, naming them, when a setting is not documented in CONF.
//   turnd_mangen usage NAME SECTION VERSION SUMMARY HELP_FILE...
//       a page for a tool from its own --help output (turnadmin(1), turnctl(8)).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "conf_docs.hpp"
#include "config/option_table.hpp"

namespace {

/// Text for a roff body line: backslashes escaped, a leading '.' or '\'' defused.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\''))
    out.insert(0, "\\&");
  return out;
}

bool is_option(const std::string& name) {
  return turn::find_option(name) != nullptr;
}

void header(std::ostream& o, const std::string& name, const std::string& section,
            const std::string& version, const std::string& summary) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  o << ".TH " << upper << ' ' << section << " \"\" \"turnd " << version << "\" \""
    << (section == "1" ? "User Commands" : "System Administration") << "\"\n"
    << ".SH NAME\n"
    << name << " \\- " << roff(summary) << '\n';
}

void option_entry(std::ostream& o, const turn::OptionDef& d, const mangen::OptionDoc* doc) {
  o << ".TP\n.B \\-\\-" << roff(std::string(d.name));
  if (d.takes_value)
    o << " \\fIVALUE\\fR";
  if (d.short_name != 0)
    o << ", \\-" << d.short_name;
  o << '\n';
  std::string text;
  if (d.role == turn::Role::kAlias) {
    text = "Another spelling of " + std::string(d.alias_of) + ".";
  } else if (d.role == turn::Role::kLegacy || d.role == turn::Role::kRefused || doc == nullptr ||
             doc->text.empty()) {
    text = d.note.empty() ? "coturn's " + std::string(d.name) + " is accepted; it has no effect."
                          : "coturn's " + std::string(d.name) + " " + std::string(d.note) + ".";
  } else {
    text = doc->text;
  }
  if (d.role == turn::Role::kRefused) {
    text = "coturn's " + std::string(d.name) +
           " is refused: startup stops with an error naming the file and line.";
  }
  if (d.repeatable)
    text += " Repeatable.";
  if (d.role == turn::Role::kSetting && d.reload == turn::Reload::kRestart)
    text += " Needs a restart to change (SIGHUP keeps the running value).";
  if (d.secret)
    text += " Masked as *** by --check-config.";
  o << roff(text) << '\n';
  if (doc != nullptr && !doc->example.empty() && d.role == turn::Role::kSetting)
    o << ".br\nIn turnserver.conf: \\fB" << roff(doc->example) << "\\fR\n";
}

int turnd_page(const std::string& conf, const std::string& version) {
  const mangen::ConfDocs docs = mangen::read_conf_docs(conf, &is_option);
  std::vector<std::string> undocumented;
  for (const auto& d : turn::option_table()) {
    if (d.role == turn::Role::kSetting && !docs.options.count(std::string(d.name)))
      undocumented.emplace_back(d.name);
  }
  if (!undocumented.empty()) {
    std::cerr << "turnd_mangen: " << conf << " does not document these options:";
    for (const auto& n : undocumented)
      std::cerr << ' ' << n;
    std::cerr << "\n";
    return 1;
  }
  std::ostream& o = std::cout;
  header(o, "turnd", "8", version, "TURN/STUN media relay server, a drop-in for coturn");
  o << ".SH SYNOPSIS\n.B turnd\n[\\fB\\-c\\fR \\fIFILE\\fR | \\fB\\-n\\fR] "
       "[\\fB\\-\\-check\\-config\\fR] "
       "[\\fB\\-\\-\\fIoption\\fR [\\fIVALUE\\fR]]...\n"
       ".SH DESCRIPTION\n"
       "turnd relays media for WebRTC and conferencing clients (TURN, RFC 8656) and answers STUN "
       "Binding requests (RFC 8489), over UDP, TCP, TLS and DTLS. It reads coturn's "
       "turnserver.conf grammar and option names: \\fIname\\fR=\\fIvalue\\fR, \\fIname value\\fR "
       "or a bare flag per line, # comments. Every option can also be given on the command "
       "line as \\-\\-\\fIname\\fR, which overrides the file.\n"
       ".SH COMMAND LINE\n"
       ".TP\n.B \\-c \\fIFILE\\fR\nThe configuration file. Without it turnd searches "
       "turnserver.conf where coturn does (./, /etc/, /etc/turnserver/, /etc/coturn/, "
       "/usr/local/etc/, ...) and runs on its embedded default when none is found.\n"
       ".TP\n.B \\-n\nRead no configuration file: the embedded default and the command line.\n"
       ".TP\n.B \\-\\-check\\-config\nValidate the configuration (and the TLS certificate), "
       "print the effective settings with secrets masked, and exit: 0 when it is valid, 2 with "
       "a message naming the file, line and option when not.\n"
       ".TP\n.B \\-h, \\-\\-help\nPrint the option summary.\n"
       ".TP\n.B \\-\\-version\nPrint the version.\n";
  // Settings and aliases by the conf's sections, in the conf's order.
  for (const auto& section : docs.sections) {
    std::ostringstream body;
    for (const auto& d : turn::option_table()) {
      if (d.role != turn::Role::kSetting && d.role != turn::Role::kAccepted &&
          d.role != turn::Role::kAlias)
        continue;
      const std::string name(d.alias_of.empty() ? d.name : d.alias_of);
      const auto it = docs.options.find(name);
      if (it == docs.options.end() || it->second.section != section)
        continue;
      const auto own = docs.options.find(std::string(d.name));
      option_entry(body, d, own == docs.options.end() ? nullptr : &own->second);
    }
    if (!body.str().empty())
      o << ".SH OPTIONS: " << roff(section) << '\n' << body.str();
  }
  std::ostringstream other;
  for (const auto& d : turn::option_table()) {
    const bool placed = (d.role == turn::Role::kSetting || d.role == turn::Role::kAccepted ||
                         d.role == turn::Role::kAlias) &&
                        docs.options.count(std::string(d.alias_of.empty() ? d.name : d.alias_of));
    if (!placed)
      option_entry(other, d, nullptr);
  }
  if (!other.str().empty()) {
    o << ".SH COTURN OPTIONS TURND ACCEPTS\n"
         "coturn names that load without effect (a warning says what turnd does instead) or "
         "that stop startup because turnd cannot honour them.\n"
      << other.str();
  }
  o << ".SH SIGNALS\n"
       ".TP\n.B SIGHUP\nRe-read the configuration file, the command line it started with and "
       "the user database, and reopen the log file, without dropping an allocation. Options "
       "marked as needing a restart keep their running value.\n"
       ".TP\n.B SIGTERM, SIGINT\nStop: sockets closed, each allocation logged as it ends.\n"
       ".TP\n.B SIGUSR1\nDrain: refuse new allocations, serve running ones, exit when no more "
       "than drain\\-min\\-allocations remain.\n"
       ".TP\n.B SIGUSR2\nLoad the TLS certificate and key again for new connections.\n"
       ".SH EXIT STATUS\n0 after a clean stop or a valid \\-\\-check\\-config, 1 when the "
       "server fails at run time, 2 for a configuration error.\n"
       ".SH FILES\n.TP\n.I /etc/turnserver.conf\nThe configuration (annotated example in "
       "/usr/share/doc/turnd).\n.TP\n.I /var/lib/turnd/turndb\nThe user database, by "
       "convention (userdb=), edited with turnadmin(1).\n"
       ".SH SEE ALSO\nturnadmin(1), turnctl(8), the README in /usr/share/doc/turnd\n";
  return 0;
}

int usage_page(const std::string& name, const std::string& section, const std::string& version,
               const std::string& summary, const std::vector<std::string>& help_files) {
  std::ostream& o = std::cout;
  header(o, name, section, version, summary);
  o << ".SH SYNOPSIS\n.B " << roff(name) << "\n[\\fIcommand\\fR] [\\fIoptions\\fR]\n"
    << ".SH DESCRIPTION\nThe text below is " << roff(name)
    << "'s own help output, as the program prints it.\n";
  for (const auto& file : help_files) {
    std::ifstream in(file);
    if (!in) {
      std::cerr << "turnd_mangen: cannot read " << file << '\n';
      return 1;
    }
    o << ".PP\n.nf\n";
    std::string line;
    while (std::getline(in, line))
      o << roff(line) << '\n';
    o << ".fi\n";
  }
  o << ".SH SEE ALSO\nturnd(8)" << (name == "turnadmin" ? ", turnctl(8)" : ", turnadmin(1)")
    << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 3 && args[0] == "turnd")
      return turnd_page(args[1], args[2]);
    if (args.size() >= 6 && args[0] == "usage")
      return usage_page(args[1], args[2], args[3], args[4], {args.begin() + 5, args.end()});
  } catch (const std::exception& e) {
    std::cerr << "turnd_mangen: " << e.what() << '\n';
    return 1;
  }
  std::cerr << "usage: turnd_mangen turnd CONF VERSION | usage NAME SECTION VERSION SUMMARY "
               "HELP_FILE...\n";
  return 2;
}
