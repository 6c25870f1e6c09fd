#include "outbox.hpp"

#include "pg.hpp"

namespace pnptv {

namespace {
constexpr const char* insert_sql =
    "INSERT INTO outbox (kind, user_id, payload, dedupe_key) VALUES ($1, NULLIF($2::bigint, 0), $3::jsonb, $4) "
    "ON CONFLICT (dedupe_key) DO NOTHING";
}

void enqueue_telegram(long long user_id, const Json& method_call, const std::optional<std::string>& dedupe_key) {
    db().exec(insert_sql, {"telegram", user_id, method_call.dump(-1, ' ', false, Json::error_handler_t::replace), dedupe_key});
}

void enqueue_email(long long user_id, const Email& email, const std::optional<std::string>& dedupe_key) {
    Json payload = {{"to", email.to}, {"subject", email.subject}, {"text", email.text}, {"html", email.html}};
    db().exec(insert_sql, {"email", user_id, payload.dump(-1, ' ', false, Json::error_handler_t::replace), dedupe_key});
}

Json send_message(long long chat_id, std::string_view text, const Json& reply_markup) {
    Json call = {{"method", "sendMessage"}, {"chat_id", chat_id}, {"text", text}};
    if (!reply_markup.is_null()) call["reply_markup"] = reply_markup;
    return call;
}

}  // namespace pnptv
