// http.hpp — the request and response every handler sees, and the one error type.
//
// A Request is built by the runtime (from FastCGI params, or from the environment in CGI mode)
// or directly by tests. Handlers never see libfcgi. Errors are thrown as HttpError and turned
// into the JSON body {"error":{"code","message","field"}} in exactly one place (error_response).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace pnptv {

using Json = nlohmann::json;

// Ordered (name, value) pairs: the order received is kept, duplicates are visible.
using Pairs = std::vector<std::pair<std::string, std::string>>;

// The first value for `name`, if any.
std::optional<std::string> find_value(const Pairs& pairs, std::string_view name);

struct Request {
    std::string method;              // "GET", "POST", …
    std::string path;                // raw path, without the query string
    std::string query_string;        // raw, without '?'
    Pairs query;                     // decoded query pairs (empty when the query is malformed)
    bool query_malformed = false;    // a bad %-escape in the query string
    Pairs headers;                   // lower-case names, e.g. "content-type"
    Pairs cookies;                   // parsed from the Cookie header
    std::string body;
    std::string remote_addr;
    std::string request_id;

    std::optional<std::string> header(std::string_view lower_name) const;
    std::optional<std::string> cookie(std::string_view name) const;
    // Content-Type without parameters, lower case ("application/json").
    std::string media_type() const;
};

struct Response {
    int status = 200;
    Pairs headers;
    std::vector<std::string> set_cookies;  // full Set-Cookie values
    std::string body;

    static Response json(int status, const Json& body);
    static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
    static Response redirect(std::string location, int status = 302);
    std::optional<std::string> header(std::string_view name) const;  // case-insensitive
};

// Thrown (or built) at the edge of a handler; the runtime renders it.
struct HttpError : std::runtime_error {
    int status;
    std::string code;
    std::string field;
    Pairs headers;  // e.g. Allow, Retry-After

    HttpError(int status, std::string code, std::string message, std::string field = {});
};

Response error_response(const HttpError& e);

// The one way a JSON request body is read: 415 unless it is application/json, 400 unless it is a
// JSON object.
Json parse_json_object(const Request& request);

const char* reason_phrase(int status);

}  // namespace pnptv
