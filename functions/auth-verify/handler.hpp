// auth-verify — the nginx auth_request guard of the pages people use once logged in: 200 with
// X-User-* headers for a valid session of a user who isn't banned, 401 (and where to log in)
// otherwise.
#pragma once

#include "http.hpp"
#include "redis.hpp"
#include "runtime.hpp"
#include "session.hpp"

namespace auth_verify {

inline constexpr std::string_view verify_path = "/api/webapp/auth/verify";

struct Settings {
    pnptv::RedisSettings redis;
    pnptv::SessionSettings session;
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
// The auth_request subrequest's fast path (Function::fast_path), exposed for tests.
std::optional<std::string> handle_subrequest(const Settings& settings, char** params);
const pnptv::Function& function();

}  // namespace auth_verify
