// urlencoded.hpp — percent-decoding and `a=1&b=2` parsing for query strings and
// application/x-www-form-urlencoded bodies.
//
// Hand-written because libcurl's unescape is lenient (it passes "%zz" through) and we must tell
// a malformed escape apart from data: every function here reports malformed input instead of
// guessing, so a handler can answer 400. Decoded bytes are not checked for UTF-8 here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"

namespace pnptv {

// Decodes %XX escapes; with plus_is_space, '+' becomes ' ' (form and query encoding).
// nullopt on a truncated or non-hex escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

// Encodes everything but unreserved characters (RFC 3986: A-Z a-z 0-9 - . _ ~).
std::string percent_encode(std::string_view s);

// Parses "a=1&b=&c" into pairs (a key without '=' has an empty value; empty segments are
// skipped). nullopt when any escape is malformed or there are more than max_pairs pairs.
std::optional<Pairs> parse_urlencoded(std::string_view s, size_t max_pairs = 256);

}  // namespace pnptv
