// live — live streams on the web: a PRIME member goes live (Agora publisher token), members list
// and watch them (subscriber tokens), pages heartbeat for the viewer count, the host or an admin
// ends it. The bot's /live starts and ends through the same code (common/live.hpp).
#pragma once

#include "http.hpp"
#include "live.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace live {

inline constexpr std::string_view streams_path = "/api/webapp/live/streams";  // + "/" + id [+ "/token" | "/heartbeat" | "/end"]

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::WebSettings web;
    pnptv::LiveSettings live;
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace live
