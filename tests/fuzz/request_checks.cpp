// libFuzzer target for the small readers of outside input that decide where a browser goes and
// whom a request is from: the login's redirect target (common/redirect: safe_redirect_target),
// the cross-site check (common/csrf: request_from_same_origin, origin_is_ours) and the
// pagination cursor (common/cursor: cursor_param). The first byte picks the method and whether
// COOKIE_SECURE is on; the rest is four lines: a redirect candidate, an Origin, a Sec-Fetch-Site
// and a Host (each header absent when its line is "-"), then the cursor parameter's value.
// Contracts:
// - a redirect target is the candidate or the fallback; a candidate kept stays on our origin as a
//   browser would read it, as sent and after every decoding (tabs and newlines dropped, '\' read
//   as '/': it starts with one '/', never "//"), and is kept again when checked again; a plain
//   path (letters, digits, "/._~-?=&", not "//…") is always kept;
// - GET, HEAD and OPTIONS always pass the cross-site check; another request passes only when
//   its Origin (if sent) is ours or the addressed host's (https, or http with COOKIE_SECURE off),
//   else when Sec-Fetch-Site (if sent) is same-origin or none; with neither header it passes;
// - a cursor is nullopt when absent; one accepted encodes to a cursor read back the same, and one
//   we encode (any time and id parse_id reads: 0 to 18 digits' worth) is read back exactly;
//   anything else is a 400
//   invalid_cursor naming the parameter.
#include <optional>
#include <string>

#include "csrf.hpp"
#include "cursor.hpp"
#include "fuzz.hpp"
#include "redirect.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

using namespace pnptv;

namespace {

constexpr std::string_view fallback = "/hub/";
constexpr std::string_view base_url = "https://pnptv.app";

// Where a browser would take a target, read as a URL relative to our page: tabs and newlines
// are dropped, a backslash is a slash; it stays with us only as a path with one leading '/'.
bool browser_stays(std::string_view target) {
    std::string seen;
    for (char c : target) {
        if (c == '\t' || c == '\n' || c == '\r') continue;
        seen.push_back(c == '\\' ? '/' : c);
    }
    return !seen.empty() && seen[0] == '/' && (seen.size() == 1 || seen[1] != '/');
}

bool plain_path(std::string_view s) {
    if (s.empty() || s.size() > 2048 || s[0] != '/' || (s.size() > 1 && s[1] == '/')) return false;
    for (char c : s)
        if (!(is_ascii_alnum(c) || std::string_view("/._~-?=&").find(c) != std::string_view::npos)) return false;
    return true;
}

void check_redirect(std::string_view candidate) {
    const std::string target = safe_redirect_target(candidate, fallback);
    FUZZ_REQUIRE(target == candidate || target == fallback);
    if (plain_path(candidate)) FUZZ_REQUIRE(target == candidate);
    if (target != candidate) return;
    std::string layer(candidate);
    for (int i = 0; i < 8; ++i) {  // as sent and every decoding of it, until decoding changes nothing
        FUZZ_REQUIRE(browser_stays(layer));
        auto decoded = percent_decode(layer);
        FUZZ_REQUIRE(decoded.has_value());
        if (*decoded == layer) break;
        layer = std::move(*decoded);
    }
    FUZZ_REQUIRE(safe_redirect_target(target, fallback) == target);
}

void check_origin(std::string_view method, std::optional<std::string_view> origin, std::optional<std::string_view> site,
                  std::optional<std::string_view> host, bool secure) {
    Request r;
    r.method = std::string(method);
    if (origin) r.headers.emplace_back("origin", std::string(*origin));
    if (site) r.headers.emplace_back("sec-fetch-site", std::string(*site));
    if (host) r.headers.emplace_back("host", std::string(*host));
    const bool ours = origin_is_ours(r, base_url, secure);
    const bool passes = request_from_same_origin(r, base_url, secure);
    const bool reads = method == "GET" || method == "HEAD" || method == "OPTIONS";
    FUZZ_REQUIRE(passes == (reads || ours));
    bool expected;
    if (origin) {
        const std::string o = to_lower(trim(*origin));
        const std::string h = host ? to_lower(trim(*host)) : "";
        expected = o == base_url || (!h.empty() && (o == "https://" + h || (!secure && o == "http://" + h)));
    } else if (site) {
        const std::string s = to_lower(trim(*site));
        expected = s == "same-origin" || s == "none";
    } else {
        expected = true;
    }
    FUZZ_REQUIRE(ours == expected);
    bool refused = false;
    try {
        require_same_origin(r, base_url, secure);
    } catch (const HttpError& e) {
        FUZZ_REQUIRE(e.status == 403 && e.code == "cross_site_request");
        refused = true;
    }
    FUZZ_REQUIRE(refused == !passes);
}

void check_cursor(std::string_view value, bool present) {
    Request r;
    if (present) r.query.emplace_back("cursor", std::string(value));
    r.query.emplace_back("before", "1");  // another parameter is not the cursor
    std::optional<Cursor> cursor;
    try {
        cursor = cursor_param(r);
    } catch (const HttpError& e) {
        FUZZ_REQUIRE(present && e.status == 400 && e.code == "invalid_cursor" && e.field == "cursor");
        return;
    }
    FUZZ_REQUIRE(cursor.has_value() == present);
    if (!cursor) return;
    FUZZ_REQUIRE(cursor->micros >= 0 && cursor->id >= 0);
    Request again;
    again.query.emplace_back("cursor", encode_cursor(*cursor));
    const auto round = cursor_param(again);  // throws (and the target fails) if we can't read our own
    FUZZ_REQUIRE(round && round->micros == cursor->micros && round->id == cursor->id);
}

// Any cursor we hand out is read back exactly: the time and id from the input's bytes.
void check_cursor_round_trip(std::string_view bytes) {
    unsigned long long micros = 0, id = 0;
    for (size_t i = 0; i < bytes.size(); ++i) (i % 2 ? id : micros) = (i % 2 ? id : micros) * 131 + static_cast<unsigned char>(bytes[i]);
    constexpr unsigned long long limit = 1'000'000'000'000'000'000ULL;  // parse_id's 18 digits
    const Cursor c{static_cast<long long>(micros % limit), static_cast<long long>(id % limit)};
    Request r;
    r.query.emplace_back("cursor", encode_cursor(c));
    const auto read = cursor_param(r);
    FUZZ_REQUIRE(read && read->micros == c.micros && read->id == c.id);
}

std::optional<std::string_view> header_line(fuzz::Input& in) {
    std::string_view line = in.until('\n');
    if (line == "-") return std::nullopt;
    return line;
}

const char* const methods[] = {"GET", "POST", "HEAD", "PUT", "OPTIONS", "DELETE", "PATCH", "post"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    const uint8_t choice = in.byte();
    const std::string_view candidate = in.until('\n');
    const auto origin = header_line(in), site = header_line(in), host = header_line(in);
    const bool cursor_present = !in.empty();
    const std::string_view cursor = in.rest();

    check_redirect(candidate);
    check_origin(methods[choice % 8], origin, site, host, choice & 0x80);
    check_cursor(cursor, cursor_present);
    check_cursor_round_trip(cursor);
    return 0;
}
