// fields.hpp — the fields of a request body, read the one way: only known names (422 naming an
// unknown one), each of the type it must be (422), people's text as valid UTF-8 (400), trimmed of
// Unicode white space, without control, bidi or invisible characters (text.hpp) and within its
// length in code points (422, naming the field); in prose, CRLF and CR become LF.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"

namespace pnptv {

struct TextRule {
    size_t min_chars = 0;  // code points, after trimming
    size_t max_chars = 0;
    bool prose = false;    // line feeds and tabs allowed (a bio, a post), not in a name
};

void reject_unknown_fields(const Json& body, std::initializer_list<std::string_view> known);

// The trimmed, checked text; throws HttpError naming `field`.
std::string checked_text(std::string_view value, std::string_view field, TextRule rule);

// An optional field: nullopt when absent; a wrong type or a bad value throws naming the field.
std::optional<std::string> text_field(const Json& body, std::string_view field, TextRule rule);
std::optional<std::string> choice_field(const Json& body, std::string_view field, std::initializer_list<std::string_view> allowed);
std::optional<bool> flag_field(const Json& body, std::string_view field);
std::optional<long long> count_field(const Json& body, std::string_view field, long long min, long long max);

// A page size from the query (`limit`): absent → fallback; otherwise 1..max or 400.
int page_limit(const Request& request, int fallback, int max);

}  // namespace pnptv
