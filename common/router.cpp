#include "router.hpp"

#include <algorithm>

#include "log.hpp"
#include "urlencoded.hpp"

namespace pnptv {

Router::Router(std::vector<Route> routes) : routes_(std::move(routes)) {}

namespace {

// The next '/'-separated segment of `s` from `at` (advancing `at` past it); false at the end.
bool next_segment(std::string_view s, size_t& at, std::string_view& segment) {
    if (at > s.size()) return false;
    size_t slash = s.find('/', at);
    if (slash == std::string_view::npos) slash = s.size();
    segment = s.substr(at, slash - at);
    at = slash + 1;
    return true;
}

// Matches one pattern against a path, segment by segment, without allocating unless it
// matches; fills params. false when the shape differs.
bool match_pattern(std::string_view pattern, std::string_view path, PathParams& params, bool& bad_escape) {
    size_t pi = 0, si = 0;
    std::string_view want, have;
    PathParams found;
    for (;;) {
        bool more_want = next_segment(pattern, pi, want), more_have = next_segment(path, si, have);
        if (more_want != more_have) return false;
        if (!more_want) break;
        if (!want.empty() && want.front() == ':') {
            if (have.empty()) return false;
            std::optional<std::string> value;
            if (have.find('%') == std::string_view::npos) value = std::string(have);
            else value = percent_decode(have);
            if (!value) {
                bad_escape = true;
                return false;
            }
            found.emplace_back(std::string(want.substr(1)), std::move(*value));
        } else if (want != have) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

}  // namespace

RouteMatch Router::match(std::string_view method, std::string_view path) const {
    RouteMatch result;
    std::vector<std::string> allowed;
    for (const Route& route : routes_) {
        PathParams params;
        if (!match_pattern(route.pattern, path, params, result.bad_escape)) continue;
        if (route.method == method || (method == "HEAD" && route.method == "GET")) {
            result.route = &route;
            result.params = std::move(params);
            return result;  // Allow is only needed when nothing matched the method
        }
        allowed.push_back(route.method);
        if (route.method == "GET") allowed.emplace_back("HEAD");
    }
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    for (const auto& m : allowed) result.allow += (result.allow.empty() ? "" : ", ") + m;
    return result;
}

Response Router::dispatch(const Request& request) const {
    try {
        RouteMatch m = match(request.method, request.path);
        if (!m.route) {
            if (m.bad_escape) throw HttpError(400, "malformed_path", "The path has a malformed %-escape.");
            if (m.allow.empty()) throw HttpError(404, "not_found", "No such route.");
            HttpError e(405, "method_not_allowed", "This route does not accept " + request.method + ".");
            e.headers.emplace_back("Allow", m.allow);
            throw e;
        }
        if (request.query_malformed)
            throw HttpError(400, "malformed_query", "The query string is malformed or has too many parameters.");
        return m.route->handler(request, m.params);
    } catch (const HttpError& e) {
        return error_response(e);
    } catch (const std::exception& e) {
        log_event(LogLevel::error, "unhandled_exception", {{"what", e.what()}, {"path", request.path}});
        return error_response(HttpError(500, "internal_error", "Something went wrong on our side."));
    }
}

std::string describe_routes(const Router& router) {
    std::string out;
    for (const Route& r : router.routes())
        out += r.method + " " + r.pattern + " " + std::to_string(r.max_body) + "\n";
    return out;
}

}  // namespace pnptv
