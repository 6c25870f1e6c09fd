// libFuzzer target for Telegram's login proofs (common/telegram_auth, docs/protocols.md §2, §3):
// Login Widget fields (as a form: the redirect's query; or as JSON: the widget's callback) and
// Mini App initData. The first byte picks the flow and whether the fields are re-signed with the
// bot's token (so the checks past the signature are reached), the second the clock; the rest is
// the fields. Contracts, against a model of the protocol written here:
// - data_check_string is every pair but `hash`, "k=v" sorted, joined by "\n";
// - a login is ok only when its hash is the HMAC-SHA256 of that string under the flow's key
//   (SHA-256 of the token; HMAC("WebAppData", token) for initData), with an id > 0 and auth_date
//   within [now - max_age, now + 60] — and once ok, any other hash is bad_hash;
// - fields we signed are never bad_hash (a structural refusal comes first, or it is ok).
#include <algorithm>
#include <string>
#include <vector>

#include "crypto.hpp"
#include "fuzz.hpp"
#include "telegram_auth.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

using namespace pnptv;

namespace {

constexpr std::string_view bot_token = "123456:TEST-TOKEN-abc";
constexpr long long max_age = 86400;

Pairs without_hash(const Pairs& fields) {
    Pairs out;
    for (const auto& kv : fields)
        if (kv.first != "hash") out.push_back(kv);
    return out;
}

std::string model_check_string(const Pairs& fields) {
    Pairs sorted = without_hash(fields);
    std::sort(sorted.begin(), sorted.end());
    std::string out;
    for (const auto& [k, v] : sorted) out += (out.empty() ? "" : "\n") + k + "=" + v;
    return out;
}

std::string widget_key() { return sha256(bot_token); }
std::string webapp_key() { return hmac_sha256("WebAppData", bot_token); }

void check_result(const TelegramAuth& auth, const Pairs& fields, const std::string& key, long long now) {
    FUZZ_REQUIRE(static_cast<int>(auth.result) >= 0 && static_cast<int>(auth.result) <= static_cast<int>(TelegramAuthResult::future));
    FUZZ_REQUIRE(data_check_string(fields) == model_check_string(fields));
    if (auth.result != TelegramAuthResult::ok) return;
    const auto hash = find_value(fields, "hash");
    FUZZ_REQUIRE(hash && to_lower(*hash) == to_hex(hmac_sha256(key, model_check_string(fields))));
    FUZZ_REQUIRE(auth.user.id > 0);
    FUZZ_REQUIRE(auth.user.auth_date <= now + 60 && now - auth.user.auth_date <= max_age);
    FUZZ_REQUIRE(auth.user.first_name.size() <= 256 && auth.user.username.size() <= 64 && auth.user.photo_url.size() <= 2048);
    std::vector<std::string> keys;
    for (const auto& kv : fields) keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    FUZZ_REQUIRE(std::adjacent_find(keys.begin(), keys.end()) == keys.end());  // no field twice
}

void check_widget(const Pairs& received, bool resign, long long now) {
    Pairs fields = received;
    if (resign) {
        fields = without_hash(received);
        fields.emplace_back("hash", to_hex(hmac_sha256(widget_key(), model_check_string(fields))));
    }
    const TelegramAuth auth = verify_login_widget(fields, bot_token, now, max_age);
    check_result(auth, fields, widget_key(), now);
    if (resign) FUZZ_REQUIRE(auth.result != TelegramAuthResult::bad_hash);
    if (auth.result == TelegramAuthResult::ok) {
        FUZZ_REQUIRE(std::to_string(auth.user.id) == *find_value(fields, "id"));
        Pairs forged = fields;
        for (auto& [k, v] : forged)
            if (k == "hash") v = to_hex(sha256(v));
        FUZZ_REQUIRE(verify_login_widget(forged, bot_token, now, max_age).result == TelegramAuthResult::bad_hash);
    }
}

void check_init_data(std::string_view init_data, bool resign, long long now) {
    std::string text(init_data);
    if (resign) {
        auto pairs = parse_urlencoded(init_data, 64);
        if (!pairs) return;
        const Pairs fields = without_hash(*pairs);
        text.clear();
        for (const auto& [k, v] : fields) text += percent_encode(k) + "=" + percent_encode(v) + "&";
        text += "hash=" + to_hex(hmac_sha256(webapp_key(), model_check_string(fields)));
    }
    const TelegramAuth auth = verify_webapp_init_data(text, bot_token, now, max_age);
    const auto pairs = parse_urlencoded(text, 64);
    if (!pairs) {
        FUZZ_REQUIRE(auth.result == TelegramAuthResult::bad_field);
        return;
    }
    check_result(auth, *pairs, webapp_key(), now);
    if (resign) FUZZ_REQUIRE(auth.result != TelegramAuthResult::bad_hash);
    if (auth.result == TelegramAuthResult::ok) {
        const Json user = Json::parse(*find_value(*pairs, "user"), nullptr, false);
        FUZZ_REQUIRE(user.is_object() && user["id"].is_number_integer() && user["id"].get<long long>() == auth.user.id);
        // The widget's key proves nothing here.
        Pairs as_widget = *pairs;
        as_widget.emplace_back("id", std::to_string(auth.user.id));
        FUZZ_REQUIRE(verify_login_widget(as_widget, bot_token, now, max_age).result != TelegramAuthResult::ok);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    const uint8_t mode = in.byte();
    const long long now = 1700000000 + (in.byte() % 128) * 1000 - 100;  // the vectors' auth_date is 1700000000
    const bool resign = mode & 0x80;
    const std::string_view text = in.rest();
    switch (mode % 3) {
        case 0: {  // the redirect: the fields in the query
            if (auto fields = parse_urlencoded(text, 64)) check_widget(*fields, resign, now);
            break;
        }
        case 1: {  // the widget's callback: a JSON object of strings and integers
            const Json object = Json::parse(text, nullptr, false);
            if (auto fields = login_fields_from_json(object)) check_widget(*fields, resign, now);
            break;
        }
        default:
            check_init_data(text, resign, now);
    }
    return 0;
}
