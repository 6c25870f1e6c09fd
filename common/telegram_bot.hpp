// telegram_bot.hpp — outbound Telegram Bot API calls (docs/protocols.md §4):
// POST <TELEGRAM_API_BASE>/bot<token>/<method> with a JSON body.
//
// Only notify-worker calls this (handlers answer inline or write the outbox, never wait on
// Telegram). The result says what the caller needs to decide: delivered, retry later (and when),
// or give up on this chat (403: the user blocked the bot).
#pragma once

#include <string_view>

#include "http.hpp"
#include "settings.hpp"

namespace pnptv {

struct BotApiSettings {
    Secret token;          // TELEGRAM_BOT_TOKEN
    std::string api_base;  // TELEGRAM_API_BASE
    long timeout_ms = 10000;  // TELEGRAM_TIMEOUT_MS
    static BotApiSettings read(SettingsReader& r);
};

struct BotApiResult {
    bool ok = false;
    long http_status = 0;      // 0: Telegram could not be reached
    long error_code = 0;       // Telegram's error_code when ok is false
    std::string description;
    long retry_after = 0;      // seconds, on 429
    Json result;
    bool blocked() const { return error_code == 403 || http_status == 403; }
};

BotApiResult call_bot_api(const BotApiSettings& s, std::string_view method, const Json& params);

}  // namespace pnptv
