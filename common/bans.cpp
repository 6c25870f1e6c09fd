#include "bans.hpp"

#include "audit.hpp"
#include "authz.hpp"
#include "log.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "session.hpp"

namespace pnptv {

BanOutcome set_ban(long long user_id, bool banned, const std::string& reason, std::optional<long long> actor_user_id,
                   const Json& details) {
    BanOutcome out;
    db().transaction([&] {
        auto r = db().exec("SELECT banned_at IS NOT NULL AS banned FROM users WHERE id = $1 FOR UPDATE", {user_id});
        if (r.rows() == 0) return;
        out.found = true;
        if (r.get_bool(0, 0) == banned) return;
        out.changed = true;
        db().exec("UPDATE users SET banned_at = CASE WHEN $2 THEN now() END, ban_reason = CASE WHEN $2 THEN NULLIF($3, '') END "
                  "WHERE id = $1",
                  {user_id, banned, reason.substr(0, 500)});
        Json audit = details;
        audit["before"] = {{"banned", !banned}};
        audit["after"] = {{"banned", banned}};
        if (banned && !reason.empty()) audit["reason"] = reason;
        pnptv::audit(actor_user_id, banned ? "user.ban" : "user.unban", "user", std::to_string(user_id), audit);
    });
    if (!out.changed) return out;
    project_users_now({user_id});
    if (banned) {
        try {
            out.sessions_ended = end_user_sessions(user_id);
        } catch (const RedisUnavailable&) {
            log_event(LogLevel::warn, "ban_sessions_deferred", {{"user_id", user_id}});
        }
    }
    log_event(LogLevel::info, banned ? "user_banned" : "user_unbanned", {{"user_id", user_id}, {"sessions_ended", out.sessions_ended}});
    return out;
}

}  // namespace pnptv
