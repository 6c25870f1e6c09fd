#include "authz.hpp"

#include "log.hpp"
#include "pg.hpp"
#include "redis.hpp"

namespace pnptv {

std::string authz_key(long long user_id) { return "user:" + std::to_string(user_id) + ":authz"; }
std::string user_cache_key(long long user_id) { return "user:" + std::to_string(user_id) + ":cache"; }

std::vector<AuthzRecord> load_authz(const std::vector<long long>& user_ids) {
    std::string ids = "{";
    for (size_t i = 0; i < user_ids.size(); ++i) ids += (i ? "," : "") + std::to_string(user_ids[i]);
    ids += "}";
    auto r = db().exec("SELECT w.id, u.id IS NOT NULL AS exists, u.banned_at IS NOT NULL AS banned, u.role, u.tier "
                       "FROM unnest($1::bigint[]) AS w(id) LEFT JOIN users u ON u.id = w.id",
                       {ids});
    std::vector<AuthzRecord> out;
    out.reserve(static_cast<size_t>(r.rows()));
    const int id = r.column("id"), exists = r.column("exists"), banned = r.column("banned"), role = r.column("role"),
              tier = r.column("tier");
    for (int i = 0; i < r.rows(); ++i) {
        AuthzRecord a;
        a.user_id = r.get_int(i, id);
        a.exists = r.get_bool(i, exists);
        if (a.exists) {
            a.banned = r.get_bool(i, banned);
            a.role = r.get(i, role);
            a.tier = r.get(i, tier);
        }
        out.push_back(std::move(a));
    }
    return out;
}

void write_authz(const std::vector<AuthzRecord>& records) {
    if (records.empty()) return;
    std::vector<std::vector<std::string>> commands;
    commands.reserve(records.size() * 2);
    for (const auto& a : records) {
        if (a.exists)
            commands.push_back({"HSET", authz_key(a.user_id), "banned", a.banned ? "1" : "0", "role", a.role, "tier", a.tier});
        else
            commands.push_back({"DEL", authz_key(a.user_id)});
        commands.push_back({"DEL", user_cache_key(a.user_id)});
    }
    for (const auto& reply : redis().pipeline(commands))
        if (reply.is_error()) throw RedisUnavailable();
}

void project_users_now(const std::vector<long long>& user_ids) {
    if (user_ids.empty()) return;
    try {
        write_authz(load_authz(user_ids));
    } catch (const RedisUnavailable&) {
        log_event(LogLevel::warn, "authz_write_deferred", {{"users", static_cast<long long>(user_ids.size())},
                                                            {"effect", "authz-worker applies it once Redis answers"}});
    }
}

}  // namespace pnptv
