// admin — what admins (role admin) do through the API: find people, ban and unban them, change
// their role, grant and revoke PRIME, see the platform's figures and payments, retry dead
// outbox rows, and read the audit trail. Every change is audited in its own transaction.
#pragma once

#include "http.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace admin {

inline constexpr std::string_view users_path = "/api/webapp/admin/users";  // + "/" + id + "/ban" | "/unban" | "/role"
inline constexpr std::string_view audit_path = "/api/webapp/admin/audit";
inline constexpr std::string_view stats_path = "/api/webapp/admin/stats";
inline constexpr std::string_view outbox_path = "/api/webapp/admin/outbox";      // + "/" + id + "/retry"
inline constexpr std::string_view payments_path = "/api/webapp/admin/payments";  // + "/" + id
inline constexpr std::string_view broadcasts_path = "/api/webapp/admin/broadcasts";  // + "/" + id

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::WebSettings web;
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace admin
