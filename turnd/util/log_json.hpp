// log-format=json: one JSON object per line, for log pipelines (Loki, Elasticsearch, ...),
// carrying what the text line carries: "time", "level", "message" (the text line's message,
// whole), and, where the message is "event: key=value ...", "event" and each key=value as a
// string field ("allocation end" gives client, transport, user, realm, relay, reason, ...).
// Values keep the text line's escaping of network text (log::sanitize), so a field cannot be
// forged either way.
#pragma once

#include <string>
#include <string_view>

namespace turn::log {

/// The JSON line (no trailing newline) for a message at `level_name` written at `time`.
std::string json_line(std::string_view time, std::string_view level_name, std::string_view message);

}  // namespace turn::log
