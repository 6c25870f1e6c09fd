// hangouts — video rooms on the web: a room belongs to its creator, who invites others (a signed,
// expiring link) or admits them by id; only members get a token for its channel. The bot's
// /hangout opens rooms through the same code (common/hangouts.hpp).
#pragma once

#include "hangouts.hpp"
#include "http.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace hangouts {

inline constexpr std::string_view rooms_path = "/api/webapp/hangouts/rooms";  // + "/" + id [+ "/token" | "/invites" | "/members"]
inline constexpr std::string_view join_path = "/api/webapp/hangouts/join";

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::WebSettings web;
    pnptv::HangoutSettings hangouts;
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace hangouts
