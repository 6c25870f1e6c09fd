// runtime.hpp — the loop around a function's router: FastCGI when spawned by spawn-fcgi (a
// listening socket on fd 0), CGI when started from a shell (environment + stdin in, the
// response on stdout). Handlers never see which.
//
// At start-up it reads the function's Settings (settings.hpp; a bad or missing value stops it,
// naming the setting) and configures the process's PostgreSQL and Redis connections from them.
// Per request it builds the Request, enforces the matched route's body cap before reading the
// body (413 without reading it), dispatches, adds X-Request-Id (and `Cache-Control: no-store`
// when the handler set none: handlers set it only to allow caching) and writes the response; it logs
// a request itself only when it failed (nginx's access log has every request). SIGTERM lets the
// request in flight finish, then the loop ends and the process exits 0. Under FastCGI every
// request is counted in the pool's shared figures (common/metrics, METRICS_DIR).
// `<binary> --routes` prints the route table and policy (docs/routes.md), `--settings` every
// setting it reads (docs/settings.md), `--check-settings` exits 0 when it would start with the
// settings it has, else 2 naming the setting (scripts/stack runs it before spawning).
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "http.hpp"
#include "log.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "router.hpp"
#include "settings.hpp"

namespace pnptv {

// A program's start-up: reads its settings (throws ConfigError) and configures what they say.
using Start = std::function<void(SettingsReader&)>;

// Gives a process the connections its settings name: any Settings with a `database` member
// (DatabaseSettings) or a `redis` member (RedisSettings) configures db() and redis().
template <class S>
void configure_connections(const S& s) {
    if constexpr (requires { s.database; }) configure_database(s.database);
    if constexpr (requires { s.redis; }) configure_redis(s.redis);
}

struct Function {
    std::string name;                          // the folder name, e.g. "health"
    std::vector<RouteSpec> routes;             // paths and their policy (--routes)
    std::vector<GuardedPage> guarded_pages;    // static pages its guard route protects (--routes)
    std::vector<FileLocation> file_locations;  // folders nginx serves for it (--routes)
    std::vector<UpstreamLocation> upstream_locations;  // streams nginx proxies for it (--routes)
    Start start;
    std::function<Response(const Request&)> handle;  // after start
    // For the one path where the generic request/response machinery is measurable waste
    // (nginx's auth_request guard, on every page load): given the raw CGI/FastCGI parameters,
    // either the whole serialized response, or nullopt to take the normal way.
    std::function<std::optional<std::string>(char** params)> fast_path;
};

// The Function of a handler module: its name, its router over Settings S (S::read(reader) reads
// them), optionally the pages it guards and a fast path.
template <class S>
Function make_function(std::string name, const Router<S>& router, std::vector<GuardedPage> guarded_pages = {},
                       std::optional<std::string> (*fast_path)(const S&, char**) = nullptr) {
    auto settings = std::make_shared<std::optional<S>>();
    Function f;
    f.name = std::move(name);
    f.routes = router.specs();
    f.guarded_pages = std::move(guarded_pages);
    f.start = [settings](SettingsReader& r) {
        settings->emplace(S::read(r));
        configure_connections(**settings);
    };
    f.handle = [settings, &router](const Request& request) { return router.dispatch(**settings, request); };
    if (fast_path) f.fast_path = [settings, fast_path](char** params) { return fast_path(**settings, params); };
    return f;
}

// The value of one CGI/FastCGI parameter ("HTTP_COOKIE"), without copying (the last one when
// sent twice); nullopt when absent.
std::optional<std::string_view> find_param(char** params, std::string_view name);

int run(const Function& function, int argc, char** argv);

// A long-running process that is not a FastCGI function (notify-worker): the same settings,
// logging and start-up checks; SIGTERM sets stop_requested() so the loop can finish what it is
// doing. `--routes` prints "daemon".
struct Daemon {
    std::string name;
    Start start;
    std::function<int()> main_loop;  // after start
};

template <class S>
Daemon make_daemon(std::string name, int (*main_loop)(const S&)) {
    auto settings = std::make_shared<std::optional<S>>();
    return {std::move(name),
            [settings](SettingsReader& r) {
                settings->emplace(S::read(r));
                configure_connections(**settings);
            },
            [settings, main_loop] { return main_loop(**settings); }};
}

int run_daemon(const Daemon& daemon, int argc, char** argv);

// JOBS_INTERVAL_SECONDS: how often a daemon runs its periodic jobs (each is idempotent; any
// instance may run them).
int read_jobs_interval_seconds(SettingsReader& r);

// Both stores, for a program that needs nothing else (the operator tools).
struct StoreSettings {
    DatabaseSettings database;
    RedisSettings redis;
    static StoreSettings read(SettingsReader& r) { return {DatabaseSettings::read(r), RedisSettings::read(r)}; }
};

// An operator's program (scripts/tools): its settings read, logging and connections set up, the
// same way as a function's. Throws ConfigError naming a bad or missing setting.
template <class S>
S start_tool(const std::string& name) {
    SettingsReader reader = SettingsReader::from_environment();
    init_logging(name, LogSettings::read(reader).level);
    S settings = S::read(reader);
    configure_connections(settings);
    return settings;
}
bool stop_requested();
// Who runs an operator's program, for its audit rows: the login ($USER), else "unknown".
std::string operator_login();

// The request line, headers, cookies and query of a CGI/FastCGI parameter list
// ("NAME=value" strings, null-terminated array). The body is read separately.
Request request_from_params(char** params);

// Reads the body of `request` from `read` (returns bytes read, 0 at end) honouring
// CONTENT_LENGTH and `max_body`. Throws HttpError 400 (bad length) / 413 (too large).
void read_body(Request& request, size_t max_body, const std::function<size_t(char*, size_t)>& read);

// "Status: 200 OK\r\nHeader: v\r\n…\r\n\r\nbody", the CGI/FastCGI response form.
std::string serialize_response(const Response& response, bool include_body);

// Answers one request end to end (everything but the transport): used by both modes. Sets
// *matched_route, when given, to the index of the route that matched (-1: none).
Response serve(const Function& function, Request& request, const std::function<size_t(char*, size_t)>& read_body_bytes,
               int* matched_route = nullptr);

}  // namespace pnptv
