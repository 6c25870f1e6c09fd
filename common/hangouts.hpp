// hangouts.hpp — video rooms (Agora) that belong to their creator, one piece for the web
// (functions/hangouts) and the bot's /hangout. Others become members through the creator: an
// invitation link (signed, expiring: "<room>.<expires>.<signature>") or being admitted by id. A
// token for a room's channel is issued to its members only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agora.hpp"
#include "settings.hpp"

namespace pnptv {

struct HangoutSettings {
    AgoraSettings agora;
    Secret invite_secret;  // HANGOUT_INVITE_SECRET: signs invitation links
    int invite_hours;      // HANGOUT_INVITE_HOURS: how long an invitation admits people
    static HangoutSettings read(SettingsReader& r);
};

struct HangoutRoom {
    long long id = 0, owner_id = 0;
    std::string name, channel;
    bool created = false;  // false: the owner's open room of that name already was
};

bool valid_hangout_name(std::string_view name);  // [a-z0-9_-]{1,32}
// The owner's open room of that name, created (with them as its first member) when there is none.
HangoutRoom open_hangout(long long owner_id, const std::string& name);

std::string hangout_invite(const HangoutSettings& s, long long room_id, long long expires_at);
// The room an invitation admits to, when it is ours, well-formed and not expired at `now`.
std::optional<long long> invited_room(const HangoutSettings& s, std::string_view invite, long long now);

// Pages: a room's (members open it), and the one an invitation opens. Neither carries a token.
std::string hangout_page_link(const std::string& public_base_url, long long room_id);
std::string hangout_invite_link(const std::string& public_base_url, const std::string& invite);

}  // namespace pnptv
