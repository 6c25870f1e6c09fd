#include "router.hpp"

#include <algorithm>

#include "log.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace pnptv {

Router::Router(std::vector<Route> routes) : routes_(std::move(routes)) {}

namespace {

// Matches one pattern against a path; fills params. false when the shape differs.
bool match_pattern(std::string_view pattern, std::string_view path, PathParams& params, bool& bad_escape) {
    auto want = split(pattern, '/');
    auto have = split(path, '/');
    if (want.size() != have.size()) return false;
    PathParams found;
    for (size_t i = 0; i < want.size(); ++i) {
        if (!want[i].empty() && want[i].front() == ':') {
            if (have[i].empty()) return false;
            auto value = percent_decode(have[i]);
            if (!value) {
                bad_escape = true;
                return false;
            }
            found.emplace_back(std::string(want[i].substr(1)), std::move(*value));
        } else if (want[i] != have[i]) {
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
        bool same = route.method == method || (method == "HEAD" && route.method == "GET");
        if (same && !result.route) {
            result.route = &route;
            result.params = std::move(params);
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
