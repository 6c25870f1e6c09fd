#include "telegram_auth.hpp"

#include <algorithm>
#include <set>

#include "crypto.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace pnptv {

const char* describe(TelegramAuthResult r) {
    switch (r) {
        case TelegramAuthResult::ok: return "ok";
        case TelegramAuthResult::missing_field: return "A required login field is missing.";
        case TelegramAuthResult::duplicate_field: return "A login field appears more than once.";
        case TelegramAuthResult::bad_field: return "A login field is malformed.";
        case TelegramAuthResult::bad_hash: return "The Telegram signature does not match.";
        case TelegramAuthResult::stale: return "The Telegram login is too old; log in again.";
        case TelegramAuthResult::future: return "The Telegram login is dated in the future.";
    }
    return "invalid";
}

namespace {

constexpr size_t max_fields = 32;
constexpr size_t max_value = 4096;
constexpr long long clock_skew = 60;

// A positive number without leading zeros (ids and times are never written with them).
std::optional<long long> parse_positive(std::string_view s) {
    if (!s.empty() && s[0] == '0') return std::nullopt;
    return parse_id(s);
}

// Structural checks shared by both flows; fills `out.field` and returns false on failure.
bool check_pairs(const Pairs& fields, TelegramAuth& out) {
    if (fields.size() > max_fields) {
        out.result = TelegramAuthResult::bad_field;
        return false;
    }
    std::set<std::string_view> seen;
    for (const auto& [k, v] : fields) {
        if (!seen.insert(k).second) {
            out.result = TelegramAuthResult::duplicate_field;
            out.field = k;
            return false;
        }
        if (k.empty() || v.size() > max_value || !is_valid_utf8(v) || v.find('\n') != std::string::npos ||
            k.find_first_of("=\n") != std::string::npos) {
            out.result = TelegramAuthResult::bad_field;
            out.field = k;
            return false;
        }
    }
    for (const char* required : {"hash", "auth_date"}) {
        if (!seen.count(required)) {
            out.result = TelegramAuthResult::missing_field;
            out.field = required;
            return false;
        }
    }
    return true;
}

bool check_hash_and_date(const Pairs& fields, std::string_view secret_key, long long now, long long max_age,
                         TelegramAuth& out) {
    std::string expected = to_hex(hmac_sha256(secret_key, data_check_string(fields)));
    std::string received = to_lower(*find_value(fields, "hash"));
    if (!constant_time_equal(expected, received)) {
        out.result = TelegramAuthResult::bad_hash;
        out.field = "hash";
        return false;
    }
    auto auth_date = parse_positive(*find_value(fields, "auth_date"));
    if (!auth_date) {
        out.result = TelegramAuthResult::bad_field;
        out.field = "auth_date";
        return false;
    }
    if (*auth_date > now + clock_skew) {
        out.result = TelegramAuthResult::future;
        out.field = "auth_date";
        return false;
    }
    if (now - *auth_date > max_age) {
        out.result = TelegramAuthResult::stale;
        out.field = "auth_date";
        return false;
    }
    out.user.auth_date = *auth_date;
    return true;
}

bool take_user_field(const Json& j, const char* key, size_t max, std::string& out) {
    if (!j.contains(key) || j[key].is_null()) return true;
    if (!j[key].is_string()) return false;
    out = j[key].get<std::string>();
    return out.size() <= max;
}

}  // namespace

std::string data_check_string(const Pairs& fields) {
    std::vector<std::pair<std::string, std::string>> sorted;
    for (const auto& kv : fields)
        if (kv.first != "hash") sorted.push_back(kv);
    std::sort(sorted.begin(), sorted.end());
    std::string out;
    for (const auto& [k, v] : sorted) {
        if (!out.empty()) out.push_back('\n');
        out += k + "=" + v;
    }
    return out;
}

std::optional<Pairs> login_fields_from_json(const Json& object) {
    if (!object.is_object() || object.size() > max_fields) return std::nullopt;
    Pairs out;
    for (const auto& [k, v] : object.items()) {
        if (v.is_string()) out.emplace_back(k, v.get<std::string>());
        else if (v.is_number_unsigned() || v.is_number_integer()) out.emplace_back(k, v.dump());
        else return std::nullopt;
    }
    return out;
}

TelegramAuth verify_login_widget(const Pairs& fields, std::string_view bot_token, long long now, long long max_age) {
    TelegramAuth out;
    if (!check_pairs(fields, out)) return out;
    if (!find_value(fields, "id")) {
        out.result = TelegramAuthResult::missing_field;
        out.field = "id";
        return out;
    }
    if (!check_hash_and_date(fields, sha256(bot_token), now, max_age, out)) return out;
    auto id = parse_positive(*find_value(fields, "id"));
    auto first_name = find_value(fields, "first_name").value_or("");
    auto username = find_value(fields, "username").value_or("");
    auto photo = find_value(fields, "photo_url").value_or("");
    if (!id || first_name.size() > 256 || username.size() > 64 || photo.size() > 2048) {
        out.result = TelegramAuthResult::bad_field;
        out.field = !id ? "id" : first_name.size() > 256 ? "first_name" : username.size() > 64 ? "username" : "photo_url";
        return out;
    }
    out.user.id = *id;
    out.user.first_name = first_name;
    out.user.last_name = find_value(fields, "last_name").value_or("");
    out.user.username = username;
    out.user.photo_url = photo;
    out.result = TelegramAuthResult::ok;
    return out;
}

TelegramAuth verify_webapp_init_data(std::string_view init_data, std::string_view bot_token, long long now,
                                     long long max_age) {
    TelegramAuth out;
    auto pairs = parse_urlencoded(init_data, max_fields + 1);
    if (!pairs) {
        out.result = TelegramAuthResult::bad_field;
        out.field = "initData";
        return out;
    }
    if (!check_pairs(*pairs, out)) return out;
    if (!find_value(*pairs, "user")) {
        out.result = TelegramAuthResult::missing_field;
        out.field = "user";
        return out;
    }
    if (!check_hash_and_date(*pairs, hmac_sha256("WebAppData", bot_token), now, max_age, out)) return out;
    Json user = Json::parse(*find_value(*pairs, "user"), nullptr, false);
    bool ok = user.is_object() && user.contains("id") && user["id"].is_number_integer() && user["id"].get<long long>() > 0;
    ok = ok && take_user_field(user, "first_name", 256, out.user.first_name) &&
         take_user_field(user, "last_name", 256, out.user.last_name) &&
         take_user_field(user, "username", 64, out.user.username) &&
         take_user_field(user, "photo_url", 2048, out.user.photo_url) &&
         take_user_field(user, "language_code", 16, out.user.language_code);
    if (!ok) {
        out.result = TelegramAuthResult::bad_field;
        out.field = "user";
        return out;
    }
    out.user.id = user["id"].get<long long>();
    out.result = TelegramAuthResult::ok;
    return out;
}

}  // namespace pnptv
