#include "runtime.hpp"

#include <fcgiapp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <random>

#include "settings.hpp"
#include "cookies.hpp"
#include "crypto.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "redis.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

extern char** environ;

namespace pnptv {

namespace {

// Header names arrive as HTTP_X_REQUEST_ID; handlers see "x-request-id".
std::string header_name_from_param(std::string_view param) {
    std::string name(param.size(), '\0');
    for (size_t i = 0; i < param.size(); ++i) {
        char c = param[i];
        name[i] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return name;
}

bool valid_request_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && only_chars(id, "-_.", true);
}

// A request id when nginx sent none (CGI mode, a direct call): unique, not secret, so a PRNG
// seeded once from the CSPRNG does, without a system call per request.
std::string new_request_id() {
    static std::mt19937_64 generator([] {
        std::string seed = random_bytes(8);
        unsigned long long s = 0;
        for (char c : seed) s = (s << 8) | static_cast<unsigned char>(c);
        return s;
    }());
    static const char digits[] = "0123456789abcdef";
    std::string id(32, '0');
    for (int half = 0; half < 2; ++half) {
        unsigned long long v = generator();
        for (int i = 0; i < 16; ++i, v >>= 4) id[half * 16 + i] = digits[v & 15];
    }
    return id;
}

extern "C" void on_sigterm(int) {
    FCGX_ShutdownPending();
    // Wakes a worker blocked in accept(); the listening socket is fd 0 under spawn-fcgi.
    shutdown(0, SHUT_RDWR);
}

void install_signal_handlers() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigterm;
    sa.sa_flags = SA_RESTART;  // reads and writes in flight are not broken by EINTR
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a client gone mid-response is an error return, not a death
}

}  // namespace

std::optional<std::string_view> find_param(char** params, std::string_view name) {
    // The last one wins, as in request_from_params: nginx sends a parameter twice when a
    // location overrides one of fastcgi_params (the guard's REQUEST_URI).
    std::optional<std::string_view> found;
    for (char** p = params; p && *p; ++p) {
        std::string_view kv = *p;
        if (kv.size() > name.size() && kv[name.size()] == '=' && kv.substr(0, name.size()) == name)
            found = kv.substr(name.size() + 1);
    }
    return found;
}

Request request_from_params(char** params) {
    Request r;
    r.headers.reserve(16);
    std::string uri;
    std::optional<std::string> content_type, content_length;
    for (char** p = params; p && *p; ++p) {
        std::string_view kv = *p;
        size_t eq = kv.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view k = kv.substr(0, eq), v = kv.substr(eq + 1);
        if (k == "REQUEST_METHOD") r.method = v;
        else if (k == "REQUEST_URI") uri = v;
        else if (k == "REMOTE_ADDR") r.remote_addr = v;
        else if (k == "CONTENT_TYPE") content_type = v;
        else if (k == "CONTENT_LENGTH") content_length = v;
        else if (k.substr(0, 5) == "HTTP_") r.headers.emplace_back(header_name_from_param(k.substr(5)), std::string(v));
    }
    if (content_type && !content_type->empty()) r.headers.emplace_back("content-type", *content_type);
    if (content_length && !content_length->empty()) r.headers.emplace_back("content-length", *content_length);
    size_t q = uri.find('?');
    r.path = uri.substr(0, q);
    if (q != std::string::npos) r.query_string = uri.substr(q + 1);
    if (auto parsed = parse_urlencoded(r.query_string)) r.query = std::move(*parsed);
    else r.query_malformed = true;
    if (auto cookie = r.header("cookie")) r.cookies = parse_cookie_header(*cookie);
    auto id = r.header("x-request-id");
    r.request_id = id && valid_request_id(*id) ? *id : new_request_id();
    return r;
}

void read_body(Request& request, size_t max_body, const std::function<size_t(char*, size_t)>& read) {
    auto too_large = [max_body] {
        return HttpError(413, "body_too_large",
                         "The body is larger than this route accepts (" + std::to_string(max_body) + " bytes).");
    };
    std::optional<size_t> expected;
    if (auto cl = request.header("content-length")) {
        auto length = parse_id(*cl);
        if (!length) throw HttpError(400, "bad_content_length", "Content-Length is not a number.");
        expected = static_cast<size_t>(*length);
        if (*expected > max_body) throw too_large();
    }
    size_t limit = expected ? *expected : max_body + 1;
    request.body.resize(limit);
    size_t got = 0;
    while (got < limit) {
        size_t n = read(request.body.data() + got, limit - got);
        if (n == 0) break;
        got += n;
    }
    request.body.resize(got);
    if (!expected && got > max_body) throw too_large();
    if (expected && got < *expected) throw HttpError(400, "truncated_body", "The body ended before Content-Length.");
}

std::string serialize_response(const Response& response, bool include_body) {
    std::string out;
    size_t size = 64 + (include_body ? response.body.size() : 0);
    for (const auto& [k, v] : response.headers) size += k.size() + v.size() + 4;
    for (const auto& c : response.set_cookies) size += c.size() + 14;
    out.reserve(size);
    out += "Status: ";
    out += std::to_string(response.status);
    out += ' ';
    out += reason_phrase(response.status);
    out += "\r\n";
    for (const auto& [k, v] : response.headers) out.append(k).append(": ").append(v).append("\r\n");
    for (const auto& c : response.set_cookies) out.append("Set-Cookie: ").append(c).append("\r\n");
    out.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n\r\n");
    if (include_body) out += response.body;
    return out;
}

Response serve(const Function& function, Request& request, const std::function<size_t(char*, size_t)>& read_body_bytes,
               int* matched_route) {
    const auto started = std::chrono::steady_clock::now();
    set_log_request_id(request.request_id);
    RouteMatch m = match_route(function.routes, request.method, request.path);
    if (matched_route) *matched_route = m.route >= 0 ? m.route : m.path_route;
    const RouteSpec* route = m.route >= 0 ? &function.routes[static_cast<size_t>(m.route)] : nullptr;
    Response response;
    try {
        if (route && request.method != "GET" && request.method != "HEAD")
            read_body(request, route->policy.max_body, read_body_bytes);
        response = function.handle(request);
    } catch (const HttpError& e) {
        response = error_response(e);
    }
    response.headers.emplace_back("X-Request-Id", request.request_id);
    if (!response.header("Cache-Control")) response.headers.emplace_back("Cache-Control", "no-store");
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    // nginx's access log already has every request; a function logs its own only when it failed
    // (5xx) or at debug level.
    LogLevel level = response.status >= 500 ? LogLevel::error : LogLevel::debug;
    if (log_enabled(level))
        log_event(level, "request", {{"method", request.method},
                                     {"route", route ? route->pattern : "-"},
                                     {"status", response.status},
                                     {"duration_us", us.count()},
                                     {"remote", request.remote_addr}});
    set_log_request_id("");
    return response;
}

namespace {

int run_cgi(const Function& function) {
    if (!std::getenv("REQUEST_METHOD")) {
        std::cerr << function.name << ": no FastCGI socket on fd 0 and no REQUEST_METHOD in the environment.\n"
                  << "Start it with spawn-fcgi, or run it as CGI: REQUEST_METHOD=GET REQUEST_URI=/path "
                  << "(see scripts/invoke).\n";
        return 2;
    }
    if (function.fast_path) {
        if (auto out = function.fast_path(environ)) {
            std::fwrite(out->data(), 1, out->size(), stdout);
            std::fflush(stdout);
            return 0;
        }
    }
    Request request = request_from_params(environ);
    Response response = serve(function, request, [](char* buf, size_t n) { return std::fread(buf, 1, n, stdin); });
    std::string out = serialize_response(response, request.method != "HEAD");
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    return 0;
}

// The status of a serialized response ("Status: 401 …"), for the fast path's count.
int serialized_status(std::string_view out) {
    constexpr std::string_view prefix = "Status: ";
    if (out.size() < prefix.size() + 3 || out.substr(0, prefix.size()) != prefix) return 0;
    return static_cast<int>(parse_id(out.substr(prefix.size(), 3)).value_or(0));
}

// The route the fast path answers for: its function's guard route, else the first.
int fast_path_route(const Function& function) {
    for (size_t i = 0; i < function.routes.size(); ++i)
        if (function.routes[i].policy.guard) return static_cast<int>(i);
    return function.routes.empty() ? -1 : 0;
}

// The pool's shared figures (common/metrics), or none — said once — when the folder can't be used:
// a function without metrics still serves.
std::unique_ptr<PoolMetrics> open_metrics(const Function& function, const std::string& dir) {
    try {
        return PoolMetrics::open(dir, function.name, function.routes);
    } catch (const std::exception& e) {
        log_event(LogLevel::error, "metrics_unavailable", {{"message", e.what()}});
        return nullptr;
    }
}

int run_fastcgi(const Function& function, PoolMetrics* metrics) {
    FCGX_Request fcgi;
    FCGX_InitRequest(&fcgi, 0, FCGI_FAIL_ACCEPT_ON_INTR);
    const int fast_route = fast_path_route(function);
    while (FCGX_Accept_r(&fcgi) >= 0) {
        const auto started = std::chrono::steady_clock::now();
        int route = -1, status = 0;
        std::string method;  // short: kept inline, no allocation
        std::optional<std::string> out;
        if (function.fast_path && (out = function.fast_path(fcgi.envp))) {
            route = fast_route;
            status = serialized_status(*out);
            method = find_param(fcgi.envp, "REQUEST_METHOD").value_or("");
        } else {
            Request request = request_from_params(fcgi.envp);
            Response response = serve(function, request, [&](char* buf, size_t n) {
                int got = FCGX_GetStr(buf, static_cast<int>(n), fcgi.in);
                return got > 0 ? static_cast<size_t>(got) : size_t{0};
            }, &route);
            status = response.status;
            out = serialize_response(response, request.method != "HEAD");
            method = std::move(request.method);
        }
        FCGX_PutStr(out->data(), static_cast<int>(out->size()), fcgi.out);
        FCGX_Finish_r(&fcgi);
        if (metrics) metrics->record(route, method, status, std::chrono::steady_clock::now() - started);
    }
    return 0;
}

}  // namespace

namespace {
// Reads the settings and configures the process; false (after saying why) when it can't start.
bool start_up(const std::string& name, const Start& start) {
    try {
        SettingsReader reader = SettingsReader::from_environment();
        init_logging(name, LogSettings::read(reader).level);
        start(reader);
        return true;
    } catch (const ConfigError& e) {
        init_logging(name, "info");
        log_event(LogLevel::error, "config_error", {{"message", e.what()}});
        std::cerr << name << ": " << e.what() << " (see env.example and docs/settings.md)\n";
        return false;
    }
}

// --routes and --settings: what a program declares, printed without starting it;
// --check-settings: whether it would start with the settings it has (exit 0, or 2 naming the
// setting), connecting to nothing.
std::optional<int> describe(int argc, char** argv, const std::string& name, const std::string& routes, const Start& start) {
    if (argc < 2) return std::nullopt;
    std::string_view option = argv[1];
    if (option == "--check-settings") return start_up(name, start) ? 0 : 2;
    if (option == "--routes") {
        std::cout << routes;
        return 0;
    }
    if (option == "--settings") {
        SettingsReader reader = SettingsReader::describing();
        LogSettings::read(reader);
        start(reader);
        for (const auto& d : reader.described())
            std::cout << d.name << " " << (d.fallback.empty() ? "required" : "default=" + d.fallback) << " " << d.type << "\n";
        return 0;
    }
    return std::nullopt;
}

volatile sig_atomic_t g_stop = 0;
extern "C" void on_daemon_sigterm(int) { g_stop = 1; }
}  // namespace

bool stop_requested() { return g_stop != 0; }

std::string operator_login() {
    const char* user = std::getenv("USER");
    return user && *user ? user : "unknown";
}

int run_daemon(const Daemon& daemon, int argc, char** argv) {
    if (auto rc = describe(argc, argv, daemon.name, "daemon\n", daemon.start)) return *rc;
    if (!start_up(daemon.name, daemon.start)) return 2;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_daemon_sigterm;  // no SA_RESTART: a wait in progress returns at once
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
    log_event(LogLevel::info, "started", {{"pid", static_cast<long long>(getpid())}});
    int rc = daemon.main_loop();
    log_event(LogLevel::info, "stopped", {{"exit_code", rc}});
    return rc;
}

int run(const Function& function, int argc, char** argv) {
    std::string metrics_dir;
    const Start start = [&](SettingsReader& r) {
        metrics_dir = MetricsSettings::read(r).dir;
        function.start(r);
    };
    if (auto rc = describe(argc, argv, function.name, describe_routes(function.routes, function.guarded_pages, function.file_locations, function.upstream_locations), start)) return *rc;
    if (!start_up(function.name, start)) return 2;
    if (FCGX_Init() != 0) return 1;
    if (FCGX_IsCGI()) return run_cgi(function);  // one request: nothing for a pool to count
    install_signal_handlers();
    auto metrics = open_metrics(function, metrics_dir);
    return run_fastcgi(function, metrics.get());
}

int read_jobs_interval_seconds(SettingsReader& r) { return static_cast<int>(r.integer("JOBS_INTERVAL_SECONDS", 60, 1, 86400)); }

}  // namespace pnptv
