// runtime.hpp — the loop around a function's router: FastCGI when spawned by spawn-fcgi (a
// listening socket on fd 0), CGI when started from a shell (environment + stdin in, the
// response on stdout). Handlers never see which.
//
// Per request it builds the Request, enforces the matched route's body cap before reading the
// body (413 without reading it), dispatches, adds X-Request-Id, writes the response and logs one
// JSON line. SIGTERM lets the request in flight finish, then the loop ends and the process
// exits 0. `<binary> --routes` prints the route table (scripts/routes reads it).
#pragma once

#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "http.hpp"
#include "router.hpp"

namespace pnptv {

// For the one path where the generic request/response machinery is measurable waste (nginx's
// auth_request guard, on every page load): given the raw CGI/FastCGI parameters, either the whole
// serialized response, or nullopt to let the request take the normal way through the router.
using FastPath = std::optional<std::string> (*)(char** params);

struct Function {
    std::string name;                          // the folder name, e.g. "health"
    const Router& router;
    std::vector<std::string> required_settings;  // refuses to start while one is missing
    FastPath fast_path = nullptr;
};

// The value of one CGI/FastCGI parameter ("HTTP_COOKIE"), without copying (the last one when
// sent twice); nullopt when absent.
std::optional<std::string_view> find_param(char** params, std::string_view name);

int run(const Function& function, int argc, char** argv);

// A long-running process that is not a FastCGI function (notify-worker): same config, logging
// and start-up checks; SIGTERM sets stop_requested() so the loop can finish what it is doing.
// `--routes` prints nothing: a daemon serves no route.
struct Daemon {
    std::string name;
    std::vector<std::string> required_settings;
    std::function<int()> main_loop;
};
int run_daemon(const Daemon& daemon, int argc, char** argv);
bool stop_requested();

// The request line, headers, cookies and query of a CGI/FastCGI parameter list
// ("NAME=value" strings, null-terminated array). The body is read separately.
Request request_from_params(char** params);

// Reads the body of `request` from `read` (returns bytes read, 0 at end) honouring
// CONTENT_LENGTH and `max_body`. Throws HttpError 400 (bad length) / 413 (too large).
void read_body(Request& request, size_t max_body, const std::function<size_t(char*, size_t)>& read);

// "Status: 200 OK\r\nHeader: v\r\n…\r\n\r\nbody", the CGI/FastCGI response form.
std::string serialize_response(const Response& response, bool include_body);

// Answers one request end to end (everything but the transport): used by both modes.
Response serve(const Function& function, Request& request, const std::function<size_t(char*, size_t)>& read_body_bytes);

}  // namespace pnptv
