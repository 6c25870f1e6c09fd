// audit.hpp — the audit trail (table audit_log): who did what to which thing, written in the
// caller's transaction so the record and the change commit together.
#pragma once

#include <optional>
#include <string_view>

#include "http.hpp"

namespace pnptv {

// `actor` empty: the system or an operator's shell. `action` is "<thing>.<verb>" ("user.ban").
// Returns the row's id (a once-only key for what the action sends).
long long audit(std::optional<long long> actor, std::string_view action, std::string_view subject_type, std::string_view subject_id,
           const Json& details = Json::object());

}  // namespace pnptv
