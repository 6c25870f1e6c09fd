#include "cookies.hpp"

#include <date/date.h>

#include "text.hpp"

namespace pnptv {

namespace {
constexpr size_t max_cookies = 64;
constexpr size_t max_cookie_part = 4096;
}  // namespace

Pairs parse_cookie_header(std::string_view header) {
    Pairs cookies;
    for (std::string_view part : split(header, ';')) {
        if (cookies.size() == max_cookies) break;
        size_t eq = part.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view name = trim(part.substr(0, eq));
        std::string_view value = trim(part.substr(eq + 1));
        if (name.empty() || name.size() > max_cookie_part || value.size() > max_cookie_part) continue;
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        cookies.emplace_back(std::string(name), std::string(value));
    }
    return cookies;
}

std::string http_date(std::chrono::system_clock::time_point t) {
    return date::format("%a, %d %b %Y %H:%M:%S GMT", std::chrono::floor<std::chrono::seconds>(t));
}

std::string build_set_cookie(std::string_view name, std::string_view value,
                             std::chrono::system_clock::time_point expires, const CookieOptions& options) {
    std::string c;
    c.append(name).append("=").append(value);
    c.append("; Path=").append(options.path);
    c.append("; Expires=").append(http_date(expires));
    if (options.http_only) c.append("; HttpOnly");
    if (options.secure) c.append("; Secure");
    if (!options.same_site.empty()) c.append("; SameSite=").append(options.same_site);
    return c;
}

}  // namespace pnptv
