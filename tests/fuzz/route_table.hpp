// route_table.hpp — every function's routes as docs/routes.md lists them (scripts/docs writes
// that table from each program's --routes), in each router's order: the real tables the router
// fuzz target matches against. tests/fuzz_corpus.cpp fails when this copy and docs/routes.md
// differ; when it does, copy the table's rows over.
#pragma once

#include <cstddef>

namespace fuzz {

struct DocumentedRoute {
    const char* function;
    const char* method;
    const char* pattern;
    size_t max_body;
};

inline constexpr DocumentedRoute documented_routes[] = {
    {"admin", "GET", "/api/webapp/admin/users", 0},
    {"admin", "POST", "/api/webapp/admin/users/:id/ban", 4096},
    {"admin", "POST", "/api/webapp/admin/users/:id/unban", 0},
    {"admin", "PUT", "/api/webapp/admin/users/:id/role", 1024},
    {"admin", "GET", "/api/webapp/admin/audit", 0},
    {"admin", "POST", "/api/webapp/admin/users/:id/subscription", 2048},
    {"admin", "DELETE", "/api/webapp/admin/users/:id/subscription", 0},
    {"admin", "GET", "/api/webapp/admin/stats", 0},
    {"admin", "POST", "/api/webapp/admin/outbox/:id/retry", 0},
    {"admin", "GET", "/api/webapp/admin/payments", 0},
    {"admin", "GET", "/api/webapp/admin/payments/:id", 0},
    {"admin", "POST", "/api/webapp/admin/broadcasts", 20480},
    {"admin", "GET", "/api/webapp/admin/broadcasts/:id", 0},
    {"auth-verify", "GET", "/api/webapp/auth/verify", 0},
    {"auth", "GET", "/api/webapp/auth/telegram/start", 0},
    {"auth", "POST", "/api/webapp/auth/telegram/start", 1024},
    {"auth", "GET", "/api/webapp/auth/telegram/state", 0},
    {"auth", "GET", "/api/webapp/auth/telegram/callback", 0},
    {"auth", "POST", "/api/webapp/auth/telegram", 8192},
    {"auth", "POST", "/api/webapp/auth/webapp", 8192},
    {"auth", "POST", "/api/webapp/auth/logout", 1024},
    {"auth", "GET", "/api/webapp/auth/me", 0},
    {"chat", "GET", "/api/webapp/chat/authorize", 0},
    {"chat", "POST", "/api/webapp/chat/:room/messages", 8192},
    {"chat", "GET", "/api/webapp/chat/:room/messages", 0},
    {"chat", "DELETE", "/api/webapp/chat/:room/messages/:id", 0},
    {"chat", "POST", "/api/webapp/chat/:room/mutes", 4096},
    {"chat", "DELETE", "/api/webapp/chat/:room/mutes/:user", 0},
    {"epayco-webhook", "POST", "/api/webhook/epayco", 32768},
    {"epayco-webhook", "GET", "/api/webhook/epayco", 0},
    {"hangouts", "POST", "/api/webapp/hangouts/rooms", 1024},
    {"hangouts", "GET", "/api/webapp/hangouts/rooms", 0},
    {"hangouts", "GET", "/api/webapp/hangouts/rooms/:id", 0},
    {"hangouts", "DELETE", "/api/webapp/hangouts/rooms/:id", 0},
    {"hangouts", "GET", "/api/webapp/hangouts/rooms/:id/token", 0},
    {"hangouts", "POST", "/api/webapp/hangouts/rooms/:id/invites", 0},
    {"hangouts", "POST", "/api/webapp/hangouts/rooms/:id/members", 1024},
    {"hangouts", "DELETE", "/api/webapp/hangouts/rooms/:id/members/:user", 0},
    {"hangouts", "POST", "/api/webapp/hangouts/join", 1024},
    {"health", "GET", "/health", 0},
    {"live", "POST", "/api/webapp/live/streams", 2048},
    {"live", "GET", "/api/webapp/live/streams", 0},
    {"live", "GET", "/api/webapp/live/streams/:id", 0},
    {"live", "GET", "/api/webapp/live/streams/:id/token", 0},
    {"live", "POST", "/api/webapp/live/streams/:id/heartbeat", 0},
    {"live", "POST", "/api/webapp/live/streams/:id/end", 0},
    {"metrics", "GET", "/metrics", 0},
    {"payment", "GET", "/api/payment/plans", 0},
    {"payment", "POST", "/api/payment/create-subscription", 1024},
    {"payment", "POST", "/api/payment/donations", 2048},
    {"payment", "GET", "/api/payment/donations", 0},
    {"payment", "GET", "/api/payment/checkout", 0},
    {"payment", "POST", "/api/payment/checkout", 1024},
    {"payment", "GET", "/api/payment/status/:invoice", 0},
    {"profile", "GET", "/api/webapp/profile", 0},
    {"profile", "PATCH", "/api/webapp/profile", 16384},
    {"profile", "DELETE", "/api/webapp/profile", 0},
    {"profile", "POST", "/api/webapp/profile/avatar", 5259264},
    {"profile", "DELETE", "/api/webapp/profile/avatar", 0},
    {"profile", "PUT", "/api/webapp/profile/age-verification", 0},
    {"profile", "GET", "/api/webapp/profile/:id", 0},
    {"profile", "PUT", "/api/webapp/profile/:id/follow", 0},
    {"profile", "DELETE", "/api/webapp/profile/:id/follow", 0},
    {"profile", "GET", "/api/webapp/profile/:id/followers", 0},
    {"profile", "GET", "/api/webapp/profile/:id/following", 0},
    {"radio", "GET", "/api/webapp/radio/now-playing", 0},
    {"radio", "GET", "/api/webapp/radio/stream", 0},
    {"social", "GET", "/api/webapp/social/feed", 0},
    {"social", "POST", "/api/webapp/social/posts", 5275648},
    {"social", "GET", "/api/webapp/social/posts/:id", 0},
    {"social", "DELETE", "/api/webapp/social/posts/:id", 0},
    {"social", "PUT", "/api/webapp/social/posts/:id/like", 0},
    {"social", "DELETE", "/api/webapp/social/posts/:id/like", 0},
    {"social", "GET", "/api/webapp/social/posts/:id/comments", 0},
    {"social", "POST", "/api/webapp/social/posts/:id/comments", 8192},
    {"social", "DELETE", "/api/webapp/social/comments/:id", 0},
    {"telegram-webhook", "POST", "/webhook/telegram", 1048576},
    {"videos", "GET", "/api/webapp/videos", 0},
    {"videos", "POST", "/api/webapp/videos", 16384},
    {"videos", "GET", "/api/webapp/videos/:id", 0},
    {"videos", "PATCH", "/api/webapp/videos/:id", 16384},
    {"videos", "DELETE", "/api/webapp/videos/:id", 0},
    {"videos", "GET", "/api/webapp/videos/:id/play", 0},
    {"videos", "POST", "/api/webapp/videos/:id/poster", 5259264},
};

}  // namespace fuzz
