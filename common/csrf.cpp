#include "csrf.hpp"

#include "log.hpp"
#include "text.hpp"

namespace pnptv {

namespace {

bool state_changing(std::string_view method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

// "https://pnptv.app/any/path" → "https://pnptv.app" (scheme and host lower-cased).
std::string origin_of(std::string_view url) {
    size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return {};
    size_t path = url.find('/', scheme_end + 3);
    return to_lower(url.substr(0, path));
}

}  // namespace

bool request_from_same_origin(const Request& request, std::string_view public_base_url, bool cookie_secure) {
    return !state_changing(request.method) || origin_is_ours(request, public_base_url, cookie_secure);
}

bool origin_is_ours(const Request& request, std::string_view public_base_url, bool cookie_secure) {
    if (auto origin = request.header("origin")) {
        const std::string o = to_lower(trim(*origin));
        if (o == origin_of(public_base_url)) return true;
        const std::string host = to_lower(trim(request.header("host").value_or("")));
        if (host.empty()) return false;
        return o == "https://" + host || (!cookie_secure && o == "http://" + host);
    }
    if (auto site = request.header("sec-fetch-site")) {
        const std::string s = to_lower(trim(*site));
        return s == "same-origin" || s == "none";
    }
    return true;
}

void require_same_origin(const Request& request, std::string_view public_base_url, bool cookie_secure) {
    if (request_from_same_origin(request, public_base_url, cookie_secure)) return;
    log_event(LogLevel::warn, "cross_site_request_refused",
              {{"origin", request.header("origin").value_or("")},
               {"sec_fetch_site", request.header("sec-fetch-site").value_or("")},
               {"remote", request.remote_addr}});
    throw HttpError(403, "cross_site_request", "This request came from another site and was refused.");
}

}  // namespace pnptv
