#include "router.hpp"

#include "text.hpp"

#include <algorithm>

#include "urlencoded.hpp"

namespace pnptv {

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

RouteMatch match_route(const std::vector<RouteSpec>& table, std::string_view method, std::string_view path) {
    RouteMatch result;
    std::vector<std::string> allowed;
    for (size_t i = 0; i < table.size(); ++i) {
        const RouteSpec& route = table[i];
        PathParams params;
        if (!match_pattern(route.pattern, path, params, result.bad_escape)) continue;
        if (result.path_route < 0) result.path_route = static_cast<int>(i);
        if (route.method == method || (method == "HEAD" && route.method == "GET")) {
            result.route = static_cast<int>(i);
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

HttpError no_route_error(const RouteMatch& m, const Request& request) {
    if (m.bad_escape) return HttpError(400, "malformed_path", "The path has a malformed %-escape.");
    if (m.allow.empty()) return HttpError(404, "not_found", "No such route.");
    HttpError e(405, "method_not_allowed", "This route does not accept " + request.method + ".");
    e.headers.emplace_back("Allow", m.allow);
    return e;
}

Response failure_response(std::exception_ptr failure, const Request& request) {
    try {
        std::rethrow_exception(failure);
    } catch (const HttpError& e) {
        return error_response(e);
    } catch (const StorageUnavailable& e) {
        HttpError unavailable(503, e.code, e.what());
        unavailable.headers.emplace_back("Retry-After", "5");
        return error_response(unavailable);
    } catch (const std::exception& e) {
        log_event(LogLevel::error, "unhandled_exception", {{"what", e.what()}, {"path", request.path}});
        return error_response(HttpError(500, "internal_error", "Something went wrong on our side."));
    }
}

long long path_id(const PathParams& params, std::string_view name, std::string_view what) {
    auto id = parse_id(find_value(params, name).value_or(""));
    if (!id) throw HttpError(404, "not_found", "No such " + std::string(what) + ".");
    return *id;
}

std::string describe_routes(const std::vector<RouteSpec>& table, const std::vector<GuardedPage>& guarded_pages,
                            const std::vector<FileLocation>& file_locations,
                            const std::vector<UpstreamLocation>& upstream_locations) {
    std::string out;
    for (const RouteSpec& r : table) {
        const RoutePolicy& p = r.policy;
        out += "route " + r.method + " " + r.pattern + " body=" + std::to_string(p.max_body);
        if (!p.rate_limit.empty()) out += " limit=" + p.rate_limit;
        if (p.capability) out += " capability";
        if (p.internal) out += " internal";
        if (p.guard) out += " guard";
        if (!p.subscribers.empty()) out += " authorize=" + p.subscribers;
        out += "\n";
    }
    for (const auto& page : guarded_pages) out += "guards " + page.path + (page.capability ? " capability\n" : "\n");
    for (const auto& f : file_locations) {
        out += "files " + f.prefix + " " + f.setting;
        if (f.internal) out += " internal";
        if (f.max_age_seconds) out += " max-age=" + std::to_string(f.max_age_seconds);
        out += "\n";
    }
    for (const auto& u : upstream_locations) out += "upstream " + u.path + " " + u.setting + "\n";
    return out;
}

}  // namespace pnptv
