// profile — a person's own profile (read, edit, avatar, account deletion), other people's
// profiles as their visibility allows, and follows.
#pragma once

#include "http.hpp"
#include "images.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace profile {

inline constexpr std::string_view profile_path = "/api/webapp/profile";
inline constexpr std::string_view avatar_path = "/api/webapp/profile/avatar";
inline constexpr std::string_view age_path = "/api/webapp/profile/age-verification";
inline constexpr std::string_view people_path = "/api/webapp/profile/";  // + id, + id/follow, + id/followers, + id/following

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::WebSettings web;
    pnptv::ImageSettings images;
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace profile
