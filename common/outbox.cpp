#include "outbox.hpp"

#include "pg.hpp"
#include "text.hpp"

namespace pnptv {

namespace {
constexpr const char* insert_sql =
    "INSERT INTO outbox (kind, user_id, payload, dedupe_key) VALUES ($1, NULLIF($2::bigint, 0), $3::jsonb, $4) "
    "ON CONFLICT (dedupe_key) DO NOTHING";
}

void enqueue_outbox(std::string_view kind, long long user_id, const Json& payload, const std::optional<std::string>& dedupe_key) {
    db().exec(insert_sql, {std::string(kind), user_id, jsonb_text(payload), dedupe_key});
}

void enqueue_telegram(long long user_id, const Json& method_call, const std::optional<std::string>& dedupe_key) {
    enqueue_outbox("telegram", user_id, method_call, dedupe_key);
}

void enqueue_email(long long user_id, const Email& email, const std::optional<std::string>& dedupe_key) {
    enqueue_outbox("email", user_id, {{"to", email.to}, {"subject", email.subject}, {"text", email.text}, {"html", email.html}}, dedupe_key);
}

int prune_delivered_outbox(int retention_days) {
    return db().exec("DELETE FROM outbox WHERE delivered_at < now() - make_interval(days => $1::int)", {retention_days}).affected();
}

Email make_email(std::string to, std::string subject, std::string text) {
    std::string html = "<!doctype html><html><body style=\"font-family:sans-serif\"><p>";
    for (char c : html_escape(text)) html += c == '\n' ? std::string("</p><p>") : std::string(1, c);
    html += "</p><p>PNPtv</p></body></html>";
    return {std::move(to), std::move(subject), std::move(text) + "\n\nPNPtv", std::move(html)};
}

bool plausible_email(std::string_view s) {
    size_t at = s.find('@');
    if (s.size() > 254 || at == std::string_view::npos || at == 0 || at > 64 || s.find('@', at + 1) != std::string_view::npos)
        return false;
    size_t dot = s.rfind('.');
    return dot != std::string_view::npos && dot > at + 1 && dot + 2 < s.size() && s.find_first_of(" \t\r\n<>") == std::string_view::npos;
}

Json send_message(long long chat_id, std::string_view text, const Json& reply_markup) {
    Json call = {{"method", "sendMessage"}, {"chat_id", chat_id}, {"text", text}};
    if (!reply_markup.is_null()) call["reply_markup"] = reply_markup;
    return call;
}

}  // namespace pnptv
