// health — is this host able to serve: PostgreSQL and Redis answering? 200, or 503 naming
// what is down (load balancers and monitors read it).
#pragma once

#include "http.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace health {

inline constexpr std::string_view health_path = "/health";

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace health
