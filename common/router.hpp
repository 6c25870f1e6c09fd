// router.hpp — the route table of one function: method + path pattern → handler, with the
// per-route body cap.
//
// The table is the single source of truth for paths: the runtime prints it (`<binary> --routes`)
// and scripts/routes turns those lines into the nginx locations and the spawn list. Patterns
// are literal segments and `:name` segments (one non-empty segment, percent-decoded).
// An unknown path is a 404, a known path with another method a 405 with `Allow`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "http.hpp"

namespace pnptv {

using PathParams = Pairs;
using Handler = Response (*)(const Request&, const PathParams&);

inline constexpr size_t default_max_body = 16 * 1024;

struct Route {
    std::string method;   // upper case; a GET route also answers HEAD
    std::string pattern;  // "/api/payment/status/:invoice"
    Handler handler;
    size_t max_body = default_max_body;
};

struct RouteMatch {
    const Route* route = nullptr;  // null: no route for this method
    PathParams params;
    std::string allow;             // when no route matched the method: those the path allows, for a 405 ("GET, HEAD, POST")
    bool bad_escape = false;       // a :param segment had a malformed %-escape
};

class Router {
public:
    explicit Router(std::vector<Route> routes);

    RouteMatch match(std::string_view method, std::string_view path) const;

    // Routes the request and runs the handler. Never throws: HttpError becomes its JSON body,
    // anything else is logged and becomes a 500 without details.
    Response dispatch(const Request& request) const;

    const std::vector<Route>& routes() const { return routes_; }

private:
    std::vector<Route> routes_;
};

// One line per route: "METHOD PATTERN MAX_BODY_BYTES".
std::string describe_routes(const Router& router);

}  // namespace pnptv
