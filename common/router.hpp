// router.hpp — the route table of one function: method + path pattern → handler, and each route's
// policy (what nginx should do in front of it).
//
// The table is the single source of truth for paths and their policy: the runtime prints it
// (`<binary> --routes`, format in docs/routes.md) and scripts/nginx-conf only renders that into
// nginx locations; scripts/stack spawns exactly the functions it lists. Patterns are literal
// segments and `:name` segments (one non-empty segment, percent-decoded). An unknown path is a
// 404, a known path with another method a 405 with `Allow`. A handler gets its function's
// Settings (read once at start-up) and the request.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "http.hpp"
#include "log.hpp"
#include "storage_errors.hpp"

namespace pnptv {

using PathParams = Pairs;

inline constexpr size_t default_max_body = 16 * 1024;

// What nginx does in front of a route, declared where the route is:
//   {"GET", path, handler, body(0).limit("pnptv_auth:100").capability_urls()}
struct RoutePolicy {
    size_t max_body = default_max_body;  // bytes; larger bodies get 413 before the function sees them
    std::string rate_limit;              // nginx limit_req "zone:burst" (zones are in nginx/site.conf.in); empty: none
    bool capability = false;             // its URLs carry a capability (docs/capabilities.md): no query string in any log
    bool internal = false;               // reachable from the host itself only, never from outside
    bool guard = false;                  // nginx's auth_request target for the pages its function guards
    std::string subscribers;             // nginx's check of realtime subscribers under this prefix (nchan); no public location

    RoutePolicy body(size_t bytes) const { auto p = *this; p.max_body = bytes; return p; }
    RoutePolicy limit(std::string zone_and_burst) const { auto p = *this; p.rate_limit = std::move(zone_and_burst); return p; }
    RoutePolicy capability_urls() const { auto p = *this; p.capability = true; return p; }
    RoutePolicy internal_only() const { auto p = *this; p.internal = true; return p; }
    RoutePolicy guard_target() const { auto p = *this; p.guard = true; return p; }
    RoutePolicy authorizes(std::string prefix) const { auto p = *this; p.subscribers = std::move(prefix); return p; }
};
inline RoutePolicy body(size_t bytes) { return RoutePolicy{}.body(bytes); }

struct RouteSpec {
    std::string method;   // upper case; a GET route also answers HEAD
    std::string pattern;  // "/api/payment/status/:invoice"
    RoutePolicy policy;
};

struct RouteMatch {
    int route = -1;            // index into the table; -1: no route for this method
    int path_route = -1;       // the first route whose pattern fits the path, whatever its method; -1: none
    PathParams params;
    std::string allow;         // when no route matched the method: those the path allows, for a 405
    bool bad_escape = false;   // a :param segment had a malformed %-escape
};

RouteMatch match_route(const std::vector<RouteSpec>& table, std::string_view method, std::string_view path);

// A path parameter that is an id (":id", ":user"): 404 "No such <what>." when it isn't one, as
// for an id nothing has.
long long path_id(const PathParams& params, std::string_view name, std::string_view what);

// The error a route that matched nothing answers with (404, 405 with Allow, 400 for a bad escape).
HttpError no_route_error(const RouteMatch& m, const Request& request);
// What any failure inside a handler becomes: its HttpError, a 503 with Retry-After for a store
// that can't be reached, or a logged 500 without details.
Response failure_response(std::exception_ptr failure, const Request& request);

// A static page (nginx/public) nginx serves only after the function's guard route says yes.
struct GuardedPage {
    std::string path;         // a prefix, "/hub/"
    bool capability = false;  // links to it carry a capability (docs/capabilities.md): no query string in any log
};

// Files nginx serves itself from a folder a setting names: public (uploads, cached for
// `max_age_seconds`) or internal (reachable only through a function's X-Accel-Redirect).
struct FileLocation {
    std::string prefix;   // "/uploads/"
    std::string setting;  // "UPLOADS_DIR": the folder, as the functions read it
    bool internal = false;
    long long max_age_seconds = 0;
};

// An internal location nginx proxies to the URL a setting names (a radio station's stream),
// reached only through a function's X-Accel-Redirect: the function decides who, nginx streams.
struct UpstreamLocation {
    std::string path;     // "/__radio/stream"
    std::string setting;  // "RADIO_STREAM_URL"
};

// One line per route (and per guarded page, file and upstream location): the --routes format,
// see docs/routes.md.
std::string describe_routes(const std::vector<RouteSpec>& table, const std::vector<GuardedPage>& guarded_pages,
                            const std::vector<FileLocation>& file_locations = {},
                            const std::vector<UpstreamLocation>& upstream_locations = {});

template <class S>
using Handler = Response (*)(const S& settings, const Request&, const PathParams&);

template <class S>
struct Route {
    std::string method, pattern;
    Handler<S> handler;
    RoutePolicy policy = {};
};

template <class S>
class Router {
public:
    explicit Router(std::vector<Route<S>> routes) : routes_(std::move(routes)) {
        for (const auto& r : routes_) specs_.push_back({r.method, r.pattern, r.policy});
    }

    // Routes the request and runs the handler. Never throws.
    Response dispatch(const S& settings, const Request& request) const {
        try {
            RouteMatch m = match_route(specs_, request.method, request.path);
            if (m.route < 0) throw no_route_error(m, request);
            if (request.query_malformed)
                throw HttpError(400, "malformed_query", "The query string is malformed or has too many parameters.");
            return routes_[static_cast<size_t>(m.route)].handler(settings, request, m.params);
        } catch (...) {
            return failure_response(std::current_exception(), request);
        }
    }

    const std::vector<RouteSpec>& specs() const { return specs_; }

private:
    std::vector<Route<S>> routes_;
    std::vector<RouteSpec> specs_;
};

}  // namespace pnptv
