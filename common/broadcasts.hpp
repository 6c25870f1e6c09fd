// broadcasts.hpp — an admin's message to every member or a segment (tier, language), queued in
// one transaction as one outbox row per person who can receive it (a Telegram chat, not banned,
// not gone, not known to have blocked the bot, age confirmed). notify-worker sends them paced
// apart from everything else (TelegramPacer's bulk gap); progress is counted from the rows.
#pragma once

#include <optional>
#include <string>

#include "http.hpp"

namespace pnptv {

struct BroadcastSegment {
    std::optional<std::string> tier;      // free | prime; none: all
    std::optional<std::string> language;  // en | es; none: all
};

// Returns the broadcast's id; audited as the actor's.
long long queue_broadcast(long long actor_user_id, const std::string& text, const BroadcastSegment& segment);

// {"id","text","tier","language","recipients","delivered","pending","failed","created_at"}, or
// null when there is no such broadcast.
Json broadcast_progress(long long id);

}  // namespace pnptv
