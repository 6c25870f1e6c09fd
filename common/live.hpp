// live.hpp — live streams, one piece for the web (functions/live) and the bot's /live: starting
// one (the row and the "host is live" notices), ending one (the row and the room's `ended`
// event), the Agora tokens for a channel, and viewer counts.
//
// Viewers: each viewer's page heartbeats every few seconds; the count is the number of distinct
// people seen within the window (a Redis sorted set by last heartbeat, Redis's own clock), and
// the row keeps the peak. The set is a projection that needs no repair: a lost one counts again
// from the next heartbeats.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agora.hpp"
#include "http.hpp"
#include "settings.hpp"

namespace pnptv {

struct LiveSettings {
    AgoraSettings agora;
    std::string public_base_url;          // PUBLIC_BASE_URL: the watch link in the notices
    long long notice_cooldown_minutes;    // LIVE_NOTICE_COOLDOWN_MINUTES: followers hear of a host once per
    int viewer_window_seconds;            // LIVE_VIEWER_WINDOW_SECONDS: a viewer counts this long after a heartbeat
    static LiveSettings read(SettingsReader& r);
};

inline constexpr int live_heartbeat_seconds = 5;  // what pages are told to send

// Which payment records count towards a host's running total of tips (a SQL condition on
// payment_records): approved, and not flagged (an approval that arrived for a deleted account
// is refunded, not counted).
inline constexpr std::string_view counted_donation_sql = "purpose = 'donation' AND state = 'approved' AND flagged_at IS NULL";

// The chat room (and nchan channel suffix) of a stream.
std::string live_room(long long stream_id);
// The page a stream is watched (or hosted) on: it carries the stream's id only, never a token.
std::string live_page_link(const std::string& public_base_url, long long stream_id);

struct StartedLive {
    long long stream_id = 0;
    std::string channel;  // Agora's
    bool created = false;  // false: the host was live already, this is that stream
};
// Starts the host's stream (PRIME or admin is the caller's check), or returns the one they are
// live in; the first start in a cooldown queues the notices, in the same transaction.
StartedLive start_live(const LiveSettings& s, long long host_id, const std::string& host_name, const std::optional<std::string>& title,
                       bool prime_only);

// Ends a live stream, and tells its room (outbox, same transaction). False when it wasn't live.
bool end_live(long long stream_id);
// The stream a host is live in, if any.
std::optional<long long> live_stream_of(long long host_id);

// An Agora RTC token for the channel, expiring AGORA_TOKEN_TTL_SECONDS from now.
std::string rtc_token(const AgoraSettings& agora, const std::string& channel, long long uid, AgoraRole role);
// The same as pages receive it (live streams and hangouts alike):
// {"app_id","channel","uid","role":"publisher"|"subscriber","token","expires_at"}.
Json rtc_token_json(const AgoraSettings& agora, const std::string& channel, long long uid, AgoraRole role);

// Records a viewer's heartbeat; returns the viewers now, and raises the row's peak.
long long live_heartbeat(const LiveSettings& s, long long stream_id, long long viewer_id);
// Viewers now of each stream (read only), in one round trip.
std::vector<long long> live_viewers(const LiveSettings& s, const std::vector<long long>& stream_ids);

}  // namespace pnptv
