#include "http.hpp"

#include "text.hpp"

namespace pnptv {

std::optional<std::string> find_value(const Pairs& pairs, std::string_view name) {
    for (const auto& [k, v] : pairs)
        if (k == name) return v;
    return std::nullopt;
}

std::optional<std::string> Request::header(std::string_view lower_name) const {
    return find_value(headers, lower_name);
}

std::optional<std::string> Request::cookie(std::string_view name) const {
    return find_value(cookies, name);
}

std::string Request::media_type() const {
    auto ct = header("content-type");
    if (!ct) return {};
    std::string_view v = *ct;
    v = v.substr(0, v.find(';'));
    return to_lower(trim(v));
}

Response Response::json(int status, const Json& body) {
    Response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/json");
    // Replace invalid UTF-8 rather than throw: error messages may echo client input.
    r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
    Response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", std::move(content_type));
    r.body = std::move(body);
    return r;
}

Response Response::redirect(std::string location, int status) {
    Response r;
    r.status = status;
    r.headers.emplace_back("Location", std::move(location));
    return r;
}

std::optional<std::string> Response::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return std::nullopt;
}

HttpError::HttpError(int status_, std::string code_, std::string message, std::string field_)
    : std::runtime_error(std::move(message)), status(status_), code(std::move(code_)), field(std::move(field_)) {}

Response error_response(const HttpError& e) {
    Json err = {{"code", e.code}, {"message", e.what()}};
    if (!e.field.empty()) err["field"] = e.field;
    Response r = Response::json(e.status, {{"error", err}});
    for (const auto& h : e.headers) r.headers.push_back(h);
    return r;
}

Json parse_json_object(const Request& request) {
    if (request.media_type() != "application/json") throw HttpError(415, "unsupported_media_type", "Send application/json.");
    Json body = Json::parse(request.body, nullptr, false);
    if (body.is_discarded()) throw HttpError(400, "invalid_json", "The body is not valid JSON.");
    if (!body.is_object()) throw HttpError(400, "invalid_json", "The body must be a JSON object.");
    return body;
}

const char* reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 411: return "Length Required";
        case 413: return "Payload Too Large";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Entity";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        default: return "Status";
    }
}

}  // namespace pnptv
