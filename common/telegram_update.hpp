// telegram_update.hpp — one Telegram Update (docs/protocols.md §4), read once at the edge into a
// typed value: the few fields the bot acts on, each checked for type and size (Telegram bounds
// them; a hostile sender may not). Everything after works on this value.
#pragma once

#include <string>

#include "http.hpp"

namespace pnptv {

struct TelegramSender {
    long long id = 0;          // > 0 when present
    bool is_bot = false;
    std::string first_name, last_name, username, language_code;  // empty when absent or unusable
};

struct TelegramUpdate {
    long long update_id = 0;
    // message, callback_query, my_chat_member — or another kind the bot ignores.
    std::string kind;
    TelegramSender from;
    long long chat_id = 0;      // the chat to answer in (0: none given)
    std::string chat_type;      // private, group, supergroup, channel
    std::string text;           // a message's text
    std::string callback_id, callback_data;  // a button press
    std::string member_status;  // my_chat_member: the bot's new status in that chat (kicked, member …)

    bool in_private() const { return chat_type == "private"; }
};

// Throws HttpError 400 when the body isn't a JSON object with a non-negative integer update_id.
TelegramUpdate parse_telegram_update(std::string_view body);

}  // namespace pnptv
