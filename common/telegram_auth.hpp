// telegram_auth.hpp — checks the two ways Telegram vouches for a user (docs/protocols.md §2, §3):
// the Login Widget fields (also what the OAuth redirect returns) and Mini App initData.
//
// Both build a data_check_string from every received pair except `hash` (sorted, key=value,
// joined by \n) and compare a hex HMAC-SHA256 in constant time; they differ only in the key.
// `auth_date` must be neither older than max_age nor more than 60 s in the future. The clock is a
// parameter so tests can pin it. Duplicate keys are refused rather than guessed at.
// Not done here: the optional Ed25519 `signature` check (for services without the bot token).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"

namespace pnptv {

enum class TelegramAuthResult { ok, missing_field, duplicate_field, bad_field, bad_hash, stale, future };
const char* describe(TelegramAuthResult r);

struct TelegramUser {
    long long id = 0;
    std::string first_name, last_name, username, photo_url, language_code;
    long long auth_date = 0;
};

struct TelegramAuth {
    TelegramAuthResult result = TelegramAuthResult::bad_hash;
    std::string field;  // the offending field, for the error body
    TelegramUser user;  // filled when result is ok
};

// Login Widget / OAuth fields, values as received (already URL-decoded).
TelegramAuth verify_login_widget(const Pairs& fields, std::string_view bot_token, long long now_unix, long long max_age);

// Mini App initData: the raw query string as Telegram.WebApp.initData hands it over.
TelegramAuth verify_webapp_init_data(std::string_view init_data, std::string_view bot_token, long long now_unix,
                                     long long max_age);

// The shared step, exposed for tests: "k=v\n…" sorted by key, without `hash`.
std::string data_check_string(const Pairs& fields);

// Widget fields from a JSON object (integers as their decimal text); nullopt if it is not a flat
// object of strings and integers.
std::optional<Pairs> login_fields_from_json(const Json& object);

}  // namespace pnptv
