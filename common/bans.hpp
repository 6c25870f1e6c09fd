// bans.hpp — banning and unbanning a user, effective at their next request.
//
// In one transaction: users.banned_at/ban_reason and an audit_log row (the users trigger records
// the guard's intent in the same transaction). After the commit, at once: the guard's record is
// rewritten and, for a ban, every session this stack minted for the user is destroyed (those of
// the Node stack are stopped by the record). The database closes the user's realtime connections
// and ends their live stream in the same transaction (db/deploy/realtime_revocations.sql). If Redis is down then, authz-worker applies the
// record once it is back, and no session verifies meanwhile (the guard fails closed).
#pragma once

#include <optional>
#include <string>

#include "http.hpp"

namespace pnptv {

struct BanOutcome {
    bool found = false;    // no such user: nothing happened
    bool changed = false;  // false: they already were (not) banned
    long long sessions_ended = 0;
};

// `actor_user_id` empty: an operator's shell. `details` is stored in the audit row.
BanOutcome set_ban(long long user_id, bool banned, const std::string& reason, std::optional<long long> actor_user_id,
                   const Json& details);

}  // namespace pnptv
