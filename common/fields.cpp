#include "fields.hpp"

#include "text.hpp"

namespace pnptv {

namespace {

HttpError wrong_type(std::string_view field, std::string_view what) {
    return HttpError(422, "invalid_field", std::string(field) + " must be " + std::string(what) + ".", std::string(field));
}

}  // namespace

void reject_unknown_fields(const Json& body, std::initializer_list<std::string_view> known) {
    for (const auto& [name, _] : body.items()) {
        bool found = false;
        for (auto k : known) found = found || k == name;
        if (!found) throw HttpError(422, "unknown_field", "This field is not one that can be set here.", name.size() > 64 ? name.substr(0, 64) : name);
    }
}

std::string checked_text(std::string_view value, std::string_view field, TextRule rule) {
    if (!is_valid_utf8(value)) throw HttpError(400, "invalid_utf8", std::string(field) + " is not valid UTF-8.", std::string(field));
    // Line breaks as browsers send them from a form (CRLF) or old systems (CR) are one LF.
    std::string lines;
    if (rule.prose) {
        lines.reserve(value.size());
        for (size_t i = 0; i < value.size(); ++i) {
            if (value[i] != '\r') lines.push_back(value[i]);
            else if (i + 1 >= value.size() || value[i + 1] != '\n') lines.push_back('\n');
        }
        value = lines;
    }
    std::string_view trimmed = trim_unicode(value);
    if (has_control_chars(trimmed, rule.prose))
        throw HttpError(422, "invalid_field", std::string(field) + " holds control characters.", std::string(field));
    const size_t n = code_points(trimmed);
    if (n < rule.min_chars || n > rule.max_chars)
        throw HttpError(422, "invalid_length",
                        std::string(field) + " must be " + std::to_string(rule.min_chars) + " to " + std::to_string(rule.max_chars) + " characters.",
                        std::string(field));
    return std::string(trimmed);
}

std::optional<std::string> text_field(const Json& body, std::string_view field, TextRule rule) {
    auto it = body.find(field);
    if (it == body.end()) return std::nullopt;
    if (!it->is_string()) throw wrong_type(field, "a string");
    return checked_text(it->get_ref<const std::string&>(), field, rule);
}

std::optional<std::string> choice_field(const Json& body, std::string_view field, std::initializer_list<std::string_view> allowed) {
    auto it = body.find(field);
    if (it == body.end()) return std::nullopt;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    if (!it->is_string()) throw wrong_type(field, "one of " + list);
    const auto& v = it->get_ref<const std::string&>();
    for (auto a : allowed)
        if (a == v) return v;
    throw wrong_type(field, "one of " + list);
}

std::optional<bool> flag_field(const Json& body, std::string_view field) {
    auto it = body.find(field);
    if (it == body.end()) return std::nullopt;
    if (!it->is_boolean()) throw wrong_type(field, "true or false");
    return it->get<bool>();
}

std::optional<long long> count_field(const Json& body, std::string_view field, long long min, long long max) {
    auto it = body.find(field);
    if (it == body.end()) return std::nullopt;
    if (!it->is_number_integer() || it->get<long long>() < min || it->get<long long>() > max)
        throw wrong_type(field, "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    return it->get<long long>();
}

int page_limit(const Request& request, int fallback, int max) {
    auto raw = find_value(request.query, "limit");
    if (!raw) return fallback;
    auto n = parse_id(*raw);
    if (!n || *n < 1 || *n > max)
        throw HttpError(400, "invalid_limit", "limit must be a whole number from 1 to " + std::to_string(max) + ".", "limit");
    return static_cast<int>(*n);
}

}  // namespace pnptv
