// libFuzzer target for the Cookie header (common/cookies) and the signed session cookie
// (common/session: unsign_session_cookie, docs/protocols.md §1). The first byte picks what else
// runs; the rest is a Cookie header. Contracts:
// - parse_cookie_header never answers more than 64 cookies, nor an empty, untrimmed or oversized
//   name, nor a name or value holding ';' (or a name holding '='), and find_cookie agrees with it;
// - a Set-Cookie value we build reads back as the same cookie;
// - unsign_session_cookie accepts exactly "s:" + sign_sid(sid, one of the secrets) (percent-
//   encoded or not) with a well-formed sid, and what session_cookie_value signs unsigns to its
//   sid with that secret, not with another, nor with a character of it changed.
#include <chrono>
#include <vector>

#include "cookies.hpp"
#include "fuzz.hpp"
#include "session.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

using namespace pnptv;

namespace {

const std::vector<Secret>& secrets() {
    static const std::vector<Secret> s = {Secret("keyboard cat"), Secret("an older secret")};
    return s;
}

bool sid_shaped(std::string_view sid) { return !sid.empty() && sid.size() <= 128 && only_chars(sid, "-_", true); }

void check_header(std::string_view header) {
    const Pairs cookies = parse_cookie_header(header);
    FUZZ_REQUIRE(cookies.size() <= 64);
    for (const auto& [name, value] : cookies) {
        FUZZ_REQUIRE(!name.empty() && name.size() <= 4096 && value.size() <= 4096);
        FUZZ_REQUIRE(trim(name) == name);
        FUZZ_REQUIRE(name.find_first_of(";=") == std::string::npos);
        FUZZ_REQUIRE(value.find(';') == std::string::npos);
        // The first cookie of a name is the one find_cookie answers.
        auto found = find_cookie(header, name);
        FUZZ_REQUIRE(found && *found == *find_value(cookies, name));
    }
    if (!find_value(cookies, session_cookie_name)) FUZZ_REQUIRE(!find_cookie(header, session_cookie_name));
}

// A cookie we set is the cookie a browser sends back.
void check_set_cookie(const Pairs& cookies) {
    const auto expires = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 56);
    for (const auto& [name, value] : cookies) {
        const bool quoted = value.size() >= 2 && value.front() == '"' && value.back() == '"';
        if (quoted || trim(value) != value) continue;  // the reader drops quotes and edge spaces: no round trip
        const std::string set = build_set_cookie(name, value, expires, CookieOptions{});
        FUZZ_REQUIRE(set.rfind(name + "=" + value + "; Path=/; Expires=", 0) == 0);
        const std::string sent = set.substr(0, name.size() + 1 + value.size());
        const Pairs back = parse_cookie_header(sent);
        FUZZ_REQUIRE(back.size() == 1 && back[0].first == name && back[0].second == value);
    }
}

void check_unsign(std::string_view cookie_value) {
    const auto sid = unsign_session_cookie(cookie_value, secrets());
    if (!sid) return;
    FUZZ_REQUIRE(sid_shaped(*sid));
    const auto decoded = percent_decode(cookie_value);
    FUZZ_REQUIRE(decoded.has_value());
    bool signed_by_one = false;
    for (const auto& secret : secrets()) signed_by_one = signed_by_one || *decoded == "s:" + sign_sid(*sid, secret.reveal());
    FUZZ_REQUIRE(signed_by_one);
}

// sign → cookie header → find → unsign gives the sid back, only with the secret that signed it.
void check_round_trip(std::string_view seed) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string sid;
    for (char c : seed.substr(0, 128)) sid.push_back(alphabet[static_cast<unsigned char>(c) % 64]);
    if (sid.empty()) return;
    for (const auto& secret : secrets()) {
        const std::string value = session_cookie_value(sid, secret.reveal());
        FUZZ_REQUIRE(unsign_session_cookie(value, secrets()) == sid);
        const std::string header = "theme=dark; " + std::string(session_cookie_name) + "=" + value + "; " +
                                   std::string(session_cookie_name) + "=s%3Alater.one";
        auto found = find_cookie(header, session_cookie_name);
        FUZZ_REQUIRE(found && unsign_session_cookie(*found, secrets()) == sid);
        FUZZ_REQUIRE(!unsign_session_cookie(value, {Secret("not one of ours")}));
        // A character of the prefix, the sid, the dot or the signature changed: never accepted.
        const size_t dot = value.rfind('.');
        for (size_t i : {size_t{1}, 4 + static_cast<unsigned char>(seed[0]) % sid.size(), dot, dot + 1, value.size() - 1}) {
            std::string changed = value;
            changed[i] = changed[i] == 'A' ? 'B' : 'A';
            FUZZ_REQUIRE(!unsign_session_cookie(changed, secrets()));
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    const uint8_t mode = in.byte();
    const std::string_view header = in.rest();
    check_header(header);
    if (mode & 1) check_set_cookie(parse_cookie_header(header));
    if (auto sent = find_cookie(header, session_cookie_name)) check_unsign(*sent);
    check_unsign(header);
    if (mode & 2) check_round_trip(header);
    return 0;
}
