// auth — Telegram login (the widget, its OAuth redirect, the Mini App), logout, and "who am I".
#pragma once

#include "http.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace auth {

inline constexpr std::string_view start_path = "/api/webapp/auth/telegram/start";
inline constexpr std::string_view state_path = "/api/webapp/auth/telegram/state";
inline constexpr std::string_view callback_path = "/api/webapp/auth/telegram/callback";
inline constexpr std::string_view widget_login_path = "/api/webapp/auth/telegram";
inline constexpr std::string_view webapp_login_path = "/api/webapp/auth/webapp";
inline constexpr std::string_view logout_path = "/api/webapp/auth/logout";
inline constexpr std::string_view me_path = "/api/webapp/auth/me";

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::WebSettings web;
    pnptv::Secret bot_token;       // TELEGRAM_BOT_TOKEN: checks the login's signature
    std::string oauth_base;        // TELEGRAM_OAUTH_BASE
    std::string bot_username;      // TELEGRAM_BOT_USERNAME: the login page's widget
    long long max_age_seconds;     // AUTH_MAX_AGE_SECONDS: the oldest auth_date accepted
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace auth
