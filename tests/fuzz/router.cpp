// libFuzzer target for the route matcher (common/router: match_route, no_route_error, a Router's
// dispatch) and the request around it (common/runtime: request_from_params, read_body, serve,
// serialize_response). The first byte picks one function's real route table (route_table.hpp,
// docs/routes.md) or a table the input writes ("METHOD /pattern" lines up to an empty line); the
// second whether a Content-Length and an X-Request-Id line follow the method and URI lines; the
// rest is the body. Contracts:
// - a match is the first route whose pattern and method (HEAD for GET) fit; its parameters are
//   its pattern's `:name` segments, in order, percent-decoded and non-empty; writing them back
//   (percent-encoded) into the pattern matches again with the same parameters;
// - no match answers Allow = exactly the methods of the routes whose pattern fits (sorted, HEAD
//   with GET), which never include the method, or a malformed escape (400);
// - serve answers what a model of it expects: 404/405 (with that Allow)/400 for no route, 400/413
//   for a bad or large body, 400 for a malformed query, else the handler's 200 with the
//   parameters; always an X-Request-Id (the client's when well-formed) and Cache-Control, and a
//   serialisation whose Content-Length is the body's.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "route_table.hpp"
#include "router.hpp"
#include "runtime.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

using namespace pnptv;

namespace {

struct NoSettings {};

// The handler every route gets: the parameters it was given, percent-encoded (they are bytes).
Response echo(const NoSettings&, const Request&, const PathParams& params) {
    Json out = Json::array();
    for (const auto& [k, v] : params) out.push_back({percent_encode(k), percent_encode(v)});
    return Response::json(200, {{"params", out}});
}

struct Table {
    std::vector<RouteSpec> specs;
    std::unique_ptr<Router<NoSettings>> router;
};

std::unique_ptr<Table> make_table(const std::vector<RouteSpec>& specs) {
    auto t = std::make_unique<Table>();
    t->specs = specs;
    std::vector<Route<NoSettings>> routes;
    for (const auto& s : specs) routes.push_back({s.method, s.pattern, echo, s.policy});
    t->router = std::make_unique<Router<NoSettings>>(std::move(routes));
    return t;
}

// The real tables, one per function, in docs/routes.md's order.
const std::vector<std::unique_ptr<Table>>& real_tables() {
    static const auto tables = [] {
        std::vector<std::unique_ptr<Table>> out;
        std::vector<RouteSpec> specs;
        std::string function;
        for (const auto& r : fuzz::documented_routes) {
            if (r.function != function && !specs.empty()) out.push_back(make_table(specs)), specs.clear();
            function = r.function;
            specs.push_back(RouteSpec{r.method, r.pattern, body(r.max_body)});
        }
        out.push_back(make_table(specs));
        return out;
    }();
    return tables;
}

std::vector<std::string_view> segments(std::string_view s) { return split(s, '/'); }

// The route alone: does its pattern fit the path (any method)?
bool fits(const RouteSpec& route, std::string_view path) {
    return match_route({route}, route.method, path).route == 0;
}

void check_match(const std::vector<RouteSpec>& table, std::string_view method, std::string_view path, const RouteMatch& m) {
    if (m.route >= 0) {
        FUZZ_REQUIRE(static_cast<size_t>(m.route) < table.size());
        const RouteSpec& route = table[static_cast<size_t>(m.route)];
        FUZZ_REQUIRE(route.method == method || (method == "HEAD" && route.method == "GET"));
        for (int k = 0; k < m.route; ++k) {  // first match wins
            const RouteSpec& earlier = table[static_cast<size_t>(k)];
            FUZZ_REQUIRE(!(fits(earlier, path) && (earlier.method == method || (method == "HEAD" && earlier.method == "GET"))));
        }
        // Parameters: the pattern's :name segments, in order, decoded, never empty.
        std::string rebuilt;
        size_t p = 0;
        const auto pattern_segments = segments(route.pattern), path_segments = segments(path);
        FUZZ_REQUIRE(pattern_segments.size() == path_segments.size());
        for (size_t i = 0; i < pattern_segments.size(); ++i) {
            std::string_view want = pattern_segments[i];
            if (i) rebuilt += '/';
            if (!want.empty() && want.front() == ':') {
                FUZZ_REQUIRE(p < m.params.size() && m.params[p].first == want.substr(1) && !m.params[p].second.empty());
                FUZZ_REQUIRE(percent_decode(path_segments[i]) == m.params[p].second);
                rebuilt += percent_encode(m.params[p++].second);
            } else {
                FUZZ_REQUIRE(want == path_segments[i]);
                rebuilt += want;
            }
        }
        FUZZ_REQUIRE(p == m.params.size());
        const RouteMatch again = match_route({route}, route.method, rebuilt);
        FUZZ_REQUIRE(again.route == 0 && again.params == m.params);
        return;
    }
    FUZZ_REQUIRE(m.params.empty());
    std::set<std::string> allowed;
    for (const auto& route : table) {
        if (!fits(route, path)) continue;
        allowed.insert(route.method);
        if (route.method == "GET") allowed.insert("HEAD");
    }
    FUZZ_REQUIRE(!allowed.count(std::string(method)));
    std::string allow;
    for (const auto& a : allowed) allow += (allow.empty() ? "" : ", ") + a;
    FUZZ_REQUIRE(m.allow == allow);
}

bool well_formed_request_id(std::string_view id) { return !id.empty() && id.size() <= 64 && only_chars(id, "-_.", true); }

// What serve must answer, from the match and the request alone.
int expected_status(const RouteMatch& m, const std::vector<RouteSpec>& table, const Request& r, size_t body_available) {
    if (m.route < 0) return m.bad_escape ? 400 : m.allow.empty() ? 404 : 405;
    if (r.method != "GET" && r.method != "HEAD") {
        const size_t max_body = table[static_cast<size_t>(m.route)].policy.max_body;
        if (auto cl = r.header("content-length")) {
            auto length = parse_id(*cl);
            if (!length) return 400;
            if (static_cast<size_t>(*length) > max_body) return 413;
            if (body_available < static_cast<size_t>(*length)) return 400;
        } else if (body_available > max_body) {
            return 413;
        }
    }
    return r.query_malformed ? 400 : 200;
}

void check_serve(const Table& table, std::string method, std::string uri, const std::optional<std::string>& content_length,
                 const std::optional<std::string>& request_id, std::string_view body) {
    std::vector<std::string> strings = {"REQUEST_METHOD=" + method, "REQUEST_URI=" + uri};
    if (content_length) strings.push_back("CONTENT_LENGTH=" + *content_length);
    if (request_id) strings.push_back("HTTP_X_REQUEST_ID=" + *request_id);
    std::vector<char*> params;
    for (auto& s : strings) params.push_back(s.data());
    params.push_back(nullptr);
    Request request = request_from_params(params.data());
    FUZZ_REQUIRE(request.path == uri.substr(0, uri.find('?')));
    if (request_id && well_formed_request_id(*request_id)) FUZZ_REQUIRE(request.request_id == *request_id);
    else FUZZ_REQUIRE(request.request_id.size() == 32 && only_chars(request.request_id, "0123456789abcdef"));

    const RouteMatch m = match_route(table.specs, request.method, request.path);
    check_match(table.specs, request.method, request.path, m);
    if (m.route < 0) {
        const HttpError e = no_route_error(m, request);
        FUZZ_REQUIRE(e.status == (m.bad_escape ? 400 : m.allow.empty() ? 404 : 405));
    }

    Function f;
    f.name = "fuzz";
    f.routes = table.specs;
    f.handle = [&table](const Request& r) { return table.router->dispatch(NoSettings{}, r); };
    size_t at = 0;
    const Response response = serve(f, request, [&](char* buf, size_t n) {
        const size_t take = std::min(n, body.size() - at);
        std::copy_n(body.data() + at, take, buf);
        at += take;
        return take;
    });
    const int want = expected_status(m, table.specs, request, body.size());
    FUZZ_REQUIRE(response.status == want);
    FUZZ_REQUIRE(response.header("X-Request-Id") == request.request_id && response.header("Cache-Control") == "no-store");
    const Json answer = Json::parse(response.body, nullptr, false);
    FUZZ_REQUIRE(answer.is_object());
    if (response.status == 405) FUZZ_REQUIRE(response.header("Allow") == m.allow);
    if (response.status == 200) {
        FUZZ_REQUIRE(answer["params"].size() == m.params.size());
        for (size_t i = 0; i < m.params.size(); ++i)
            FUZZ_REQUIRE(answer["params"][i][1] == percent_encode(m.params[i].second));
    } else {
        FUZZ_REQUIRE(answer["error"]["code"].is_string());
    }
    const std::string wire = serialize_response(response, true);
    FUZZ_REQUIRE(wire.rfind("Status: " + std::to_string(response.status) + " ", 0) == 0);
    FUZZ_REQUIRE(wire.find("\r\nContent-Length: " + std::to_string(response.body.size()) + "\r\n\r\n") != std::string::npos);
    FUZZ_REQUIRE(wire.size() >= response.body.size() && wire.compare(wire.size() - response.body.size(), std::string::npos, response.body) == 0);
}

std::string without_nul(std::string_view s) {
    std::string out;
    for (char c : s)
        if (c) out.push_back(c);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    const auto& tables = real_tables();
    const size_t choice = in.byte() % (tables.size() + 1);
    const uint8_t flags = in.byte();
    std::unique_ptr<Table> own;
    if (choice == tables.size()) {  // a table the input writes, with small body caps
        std::vector<RouteSpec> specs;
        for (std::string_view line = in.until('\n'); !line.empty() && specs.size() < 16; line = in.until('\n')) {
            const size_t space = line.find(' ');
            specs.push_back({std::string(line.substr(0, space)), space == std::string_view::npos ? "" : std::string(line.substr(space + 1)),
                             body(specs.size() * 7)});
        }
        own = make_table(specs);
    }
    const Table& table = own ? *own : *tables[choice];
    const std::string method = without_nul(in.until('\n')), uri = without_nul(in.until('\n'));
    std::optional<std::string> content_length, request_id;
    if (flags & 1) content_length = without_nul(in.until('\n'));
    if (flags & 2) request_id = without_nul(in.until('\n'));
    check_serve(table, method, uri, content_length, request_id, in.rest());
    return 0;
}
