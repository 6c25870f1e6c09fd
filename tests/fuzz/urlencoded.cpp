// libFuzzer target for query strings and form bodies (common/urlencoded: percent_decode,
// percent_encode, parse_urlencoded) and the query as the runtime reads it (request_from_params,
// page_limit). The first byte picks '+' handling and the pair limit; the rest is the text.
// Contracts:
// - percent_decode answers exactly what a plain reading of RFC 3986 escapes (plus '+' in forms)
//   answers, and nullopt exactly for a truncated or non-hex escape;
// - percent_encode leaves only unreserved characters and upper-case escapes, and decodes back;
// - parse_urlencoded answers nullopt exactly when an escape is malformed or there are more
//   non-empty pairs than the limit; otherwise the pairs re-encode and parse back the same;
// - a request's query is those pairs, or query_malformed; page_limit is 1..max or a 400.
#include <optional>
#include <string>

#include "fields.hpp"
#include "fuzz.hpp"
#include "runtime.hpp"
#include "urlencoded.hpp"

using namespace pnptv;

namespace {

// The model: what the escapes mean, written out the slow way.
std::optional<std::string> model_decode(std::string_view s, bool plus_is_space) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;  // an escape needs two more characters
            const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

void check_decode(std::string_view s, bool plus_is_space) {
    const auto decoded = percent_decode(s, plus_is_space);
    FUZZ_REQUIRE(decoded == model_decode(s, plus_is_space));
    if (!decoded) return;
    FUZZ_REQUIRE(decoded->size() <= s.size());
    FUZZ_REQUIRE(percent_decode(percent_encode(*decoded), plus_is_space) == decoded);
}

void check_encode(std::string_view s) {
    const std::string encoded = percent_encode(s);
    size_t reserved = 0;
    for (char c : s) reserved += !unreserved(c);
    FUZZ_REQUIRE(encoded.size() == s.size() + 2 * reserved);
    for (size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] != '%') {
            FUZZ_REQUIRE(unreserved(encoded[i]));
            continue;
        }
        FUZZ_REQUIRE(i + 2 < encoded.size());
        for (char c : encoded.substr(i + 1, 2)) FUZZ_REQUIRE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
        i += 2;
    }
    FUZZ_REQUIRE(percent_decode(encoded) == s);
    FUZZ_REQUIRE(percent_decode(encoded, true) == s);
}

std::string encode_pairs(const Pairs& pairs) {
    std::string out;
    for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
    return out;
}

void check_pairs(std::string_view s, size_t max_pairs) {
    const auto pairs = parse_urlencoded(s, max_pairs);
    // The model: split at '&', skip empty segments, decode each side of the first '='.
    size_t segments = 0;
    bool escapes_ok = true;
    Pairs model;
    for (size_t at = 0; at <= s.size();) {
        size_t end = s.find('&', at);
        if (end == std::string_view::npos) end = s.size();
        std::string_view part = s.substr(at, end - at);
        at = end + 1;
        if (part.empty()) continue;
        ++segments;
        const size_t eq = part.find('=');
        auto k = model_decode(part.substr(0, eq), true);
        auto v = model_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), true);
        if (!k || !v) escapes_ok = false;
        else model.emplace_back(*k, *v);
    }
    FUZZ_REQUIRE(pairs.has_value() == (escapes_ok && segments <= max_pairs));
    if (!pairs) return;
    FUZZ_REQUIRE(*pairs == model);
    FUZZ_REQUIRE(parse_urlencoded(encode_pairs(*pairs), max_pairs) == pairs);
}

// The query as the runtime builds a Request from FastCGI parameters, and the page size read from it.
void check_request_query(std::string_view query) {
    std::string method = "REQUEST_METHOD=GET", uri = "REQUEST_URI=/api/webapp/social/feed?" + std::string(query);
    char* params[] = {method.data(), uri.data(), nullptr};
    const Request r = request_from_params(params);
    FUZZ_REQUIRE(r.path == "/api/webapp/social/feed");
    FUZZ_REQUIRE(r.query_string == query);
    const auto pairs = parse_urlencoded(query);
    FUZZ_REQUIRE(r.query_malformed == !pairs.has_value());
    FUZZ_REQUIRE(r.query == pairs.value_or(Pairs{}));
    try {
        const int limit = page_limit(r, 20, 50);
        FUZZ_REQUIRE(limit >= 1 && limit <= 50);
        FUZZ_REQUIRE(limit == 20 || find_value(r.query, "limit"));
    } catch (const HttpError& e) {
        FUZZ_REQUIRE(e.status == 400 && e.field == "limit");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    const uint8_t options = in.byte();
    const bool plus_is_space = options & 1;
    const size_t max_pairs = (options >> 1) == 127 ? 256 : 1 + (options >> 1) % 40;  // small limits are reachable
    const std::string_view text = in.rest();
    check_decode(text, plus_is_space);
    check_encode(text);
    check_pairs(text, max_pairs);
    if (text.find_first_of(std::string_view("\0", 1)) == std::string_view::npos) check_request_query(text);
    return 0;
}
