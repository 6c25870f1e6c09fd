#include "cookies.hpp"

#include <date/date.h>

#include "text.hpp"

namespace pnptv {

namespace {
constexpr size_t max_cookies = 64;
constexpr size_t max_cookie_part = 4096;
}  // namespace

namespace {
// Calls visit(name, value) for each well-formed cookie, in order, until it returns false.
template <class Visit>
void each_cookie(std::string_view header, Visit visit) {
    size_t seen = 0;
    for (size_t at = 0; at <= header.size() && seen < max_cookies;) {
        size_t end = header.find(';', at);
        if (end == std::string_view::npos) end = header.size();
        std::string_view part = header.substr(at, end - at);
        at = end + 1;
        size_t eq = part.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view name = trim(part.substr(0, eq));
        std::string_view value = trim(part.substr(eq + 1));
        if (name.empty() || name.size() > max_cookie_part || value.size() > max_cookie_part) continue;
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        ++seen;
        if (!visit(name, value)) return;
    }
}
}  // namespace

Pairs parse_cookie_header(std::string_view header) {
    Pairs cookies;
    each_cookie(header, [&](std::string_view name, std::string_view value) {
        cookies.emplace_back(std::string(name), std::string(value));
        return true;
    });
    return cookies;
}

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view wanted) {
    std::optional<std::string_view> found;
    each_cookie(header, [&](std::string_view name, std::string_view value) {
        if (name == wanted) found = value;
        return !found;
    });
    return found;
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
    if (options.partitioned) c.append("; Partitioned");
    return c;
}

}  // namespace pnptv
