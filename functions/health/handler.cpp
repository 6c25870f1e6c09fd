#include "handler.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "log.hpp"
#include "pg.hpp"
#include "redis.hpp"

#ifndef PNPTV_VERSION
#define PNPTV_VERSION "dev"
#endif

namespace health {

using namespace pnptv;

namespace {

// Each check answers "ok" or says why not; neither throws. Timeouts are short (connect_timeout,
// REDIS_TIMEOUT_MS) so a dead dependency shows as 503 within about a second.
std::string check_postgres() {
    try {
        auto r = db().exec("SELECT 1");
        return r.rows() == 1 ? "ok" : "unexpected answer";
    } catch (const PgUnavailable&) {
        return "unreachable";
    } catch (const std::exception& e) {
        log_event(LogLevel::warn, "health_postgres_error", {{"error", e.what()}});
        return "error";
    }
}

std::string check_redis() {
    try {
        auto r = redis().command({"PING"});
        return r.is_string() && r.str() == "PONG" ? "ok" : "unexpected answer";
    } catch (const RedisUnavailable&) {
        return "unreachable";
    } catch (const std::exception& e) {
        log_event(LogLevel::warn, "health_redis_error", {{"error", e.what()}});
        return "error";
    }
}

Response get_health(const Settings&, const Request&, const PathParams&) {
    std::string pg = check_postgres();
    std::string rd = check_redis();
    bool ok = pg == "ok" && rd == "ok";
    Json body = {{"status", ok ? "ok" : "degraded"}, {"postgres", pg}, {"redis", rd}, {"version", PNPTV_VERSION}};
    if (ok) return Response::json(200, body);
    // A 503 still follows the error convention, so monitors and the probe read it the same way.
    std::vector<std::string> down;
    if (pg != "ok") down.push_back("postgres");
    if (rd != "ok") down.push_back("redis");
    body["error"] = {{"code", "dependency_unavailable"},
                     {"message", fmt::format("{} unavailable", fmt::join(down, " and "))}};
    Response r = Response::json(503, body);
    r.headers.emplace_back("Retry-After", "5");
    return r;
}

const Router<Settings> routes({
    {"GET", std::string(health_path), get_health, body(0)},
});

}  // namespace

Settings Settings::read(SettingsReader& r) { return {DatabaseSettings::read(r), RedisSettings::read(r)}; }

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("health", routes);
    return f;
}

}  // namespace health
