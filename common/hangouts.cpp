#include "hangouts.hpp"

#include "crypto.hpp"
#include "pages.hpp"
#include "pg.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace pnptv {

namespace {
std::string invite_signature(const HangoutSettings& s, long long room_id, long long expires_at) {
    // Labelled, so a signature made for anything else can never pass as an invitation.
    return base64_encode(hmac_sha256(s.invite_secret.reveal(), "hangout-invite\n" + std::to_string(room_id) + "\n" + std::to_string(expires_at)),
                         Base64::url, false);
}
}  // namespace

HangoutSettings HangoutSettings::read(SettingsReader& r) {
    return {AgoraSettings::read(r), r.secret("HANGOUT_INVITE_SECRET"), static_cast<int>(r.integer("HANGOUT_INVITE_HOURS", 24, 1, 24 * 30))};
}

bool valid_hangout_name(std::string_view name) {
    return !name.empty() && name.size() <= 32 && only_chars(name, "abcdefghijklmnopqrstuvwxyz0123456789_-");
}

HangoutRoom open_hangout(long long owner_id, const std::string& name) {
    HangoutRoom room;
    db().transaction([&] {
        // Serialises two opens of the same name by the same owner.
        db().exec("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", {owner_id});
        auto r = db().exec("SELECT id, channel FROM hangout_rooms WHERE owner_id = $1 AND name = $2 AND closed_at IS NULL", {owner_id, name});
        if (r.rows()) {
            room = {r.get_int(0, "id"), owner_id, name, r.get(0, "channel")};
            return;
        }
        auto created = db().exec("INSERT INTO hangout_rooms (owner_id, name, channel) VALUES ($1, $2, $3) RETURNING id, channel",
                                 {owner_id, name, "hangout-" + to_hex(random_bytes(8))});
        room = {created.get_int(0, "id"), owner_id, name, created.get(0, "channel"), true};
        db().exec("INSERT INTO hangout_members (room_id, user_id, added_by, via) VALUES ($1, $2, $2, 'owner')", {room.id, owner_id});
    });
    return room;
}

std::string hangout_invite(const HangoutSettings& s, long long room_id, long long expires_at) {
    return std::to_string(room_id) + "." + std::to_string(expires_at) + "." + invite_signature(s, room_id, expires_at);
}

std::optional<long long> invited_room(const HangoutSettings& s, std::string_view invite, long long now) {
    if (invite.size() > 128) return std::nullopt;
    const size_t a = invite.find('.'), b = a == std::string_view::npos ? a : invite.find('.', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    auto room = parse_id(invite.substr(0, a)), expires = parse_id(invite.substr(a + 1, b - a - 1));
    if (!room || !expires) return std::nullopt;
    // One spelling: numbers as we write them (no leading zeros).
    if (std::to_string(*room) != invite.substr(0, a) || std::to_string(*expires) != invite.substr(a + 1, b - a - 1)) return std::nullopt;
    if (!constant_time_equal(invite.substr(b + 1), invite_signature(s, *room, *expires))) return std::nullopt;
    if (*expires <= now) return std::nullopt;
    return room;
}

std::string hangout_page_link(const std::string& public_base_url, long long room_id) {
    return public_base_url + std::string(pages::hangouts) + "?room=" + std::to_string(room_id);
}

std::string hangout_invite_link(const std::string& public_base_url, const std::string& invite) {
    return public_base_url + std::string(pages::hangouts) + "?invite=" + percent_encode(invite);
}

}  // namespace pnptv
