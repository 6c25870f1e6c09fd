// outbox.hpp — how a handler sends a Telegram message or an email: it writes an `outbox` row in
// the same transaction as the state change that causes it, and notify-worker delivers it later
// with retries. Nothing here talks to a third party.
//
// A dedupe_key makes the message once-only per cause (e.g. "activation:<payment id>:telegram"):
// a second insert with the same key is silently skipped.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"

namespace pnptv {

// A Bot API call to make later: {"method":"sendMessage","chat_id":…,"text":…}. user_id (0: none)
// lets the worker mark the user unreachable when Telegram answers 403.
void enqueue_telegram(long long user_id, const Json& method_call, const std::optional<std::string>& dedupe_key = {});

struct Email {
    std::string to, subject, text, html;
};
void enqueue_email(long long user_id, const Email& email, const std::optional<std::string>& dedupe_key = {});

// An e-mail from a plain text: the HTML part is the same text, escaped, one paragraph per line.
Email make_email(std::string to, std::string subject, std::string text);
// The one check of an address we send to: local@domain.tld, no spaces, angle brackets or line
// breaks (so it can't inject a header), within the lengths RFC 5321 allows.
bool plausible_email(std::string_view address);

// Any kind (the ones above, `realtime` in realtime.hpp): a row for notify-worker.
void enqueue_outbox(std::string_view kind, long long user_id, const Json& payload, const std::optional<std::string>& dedupe_key);

// Deletes delivered rows older than retention_days (personal data is not kept longer than needed).
int prune_delivered_outbox(int retention_days);

// Shorthand for the common case: a text message to a user's private chat.
Json send_message(long long chat_id, std::string_view text, const Json& reply_markup = nullptr);

}  // namespace pnptv
