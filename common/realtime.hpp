// realtime.hpp — events to browsers through nginx's nchan module (docs/realtime.md).
//
// nginx serves subscribers (WebSocket, EventSource) at the chat function's `subscribe` prefix and
// takes publications only on a server block of its own, on a unix socket (NCHAN_PUBLISH_SOCKET):
// nothing outside the host can publish. A subscriber of room R, user U listens to three channels
// at once: the room's, the user's own and the user's membership of R. Closing (deleting) the
// user's channel ends every connection of theirs (a ban); closing the membership channel ends
// theirs to that room (a mute, a removal). Either way the page's reconnect is checked afresh.
//
// publish() is the fast path (a chat message, at once); enqueue_realtime_event() writes the event into
// the outbox in the caller's transaction and notify-worker delivers it with retries (an ended
// stream, a revocation, a deleted message: effects that must not be lost).
#pragma once

#include <string>
#include <string_view>

#include "http.hpp"
#include "settings.hpp"

namespace pnptv {

struct RealtimeSettings {
    std::string publish_socket;  // NCHAN_PUBLISH_SOCKET: nginx's publisher socket
    long timeout_ms;             // NCHAN_PUBLISH_TIMEOUT_MS
    static RealtimeSettings read(SettingsReader& r);
};

// `user-<id>` is closed by the database itself (db/deploy/realtime_revocations.sql), which spells
// these names too.
std::string room_channel(std::string_view room);
std::string member_channel(std::string_view room, long long user_id);

// Publishes one event (a JSON object) now; false when nginx didn't take it (logged).
bool publish(const RealtimeSettings& s, std::string_view channel, const Json& event);

// The same through the outbox, in the caller's transaction (dedupe_key: once per cause).
void enqueue_realtime_event(std::string_view channel, const Json& event, const std::optional<std::string>& dedupe_key = {});
void enqueue_channel_close(std::string_view channel, const std::optional<std::string>& dedupe_key = {});

// What notify-worker does with a `realtime` outbox row: true once nginx took it.
bool deliver_realtime(const RealtimeSettings& s, const Json& payload, std::string& error);

}  // namespace pnptv
