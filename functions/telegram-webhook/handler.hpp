// telegram-webhook — every update Telegram sends the bot: commands, inline buttons, and
// the user blocking or unblocking the bot.
#pragma once

#include "hangouts.hpp"
#include "http.hpp"
#include "live.hpp"
#include "payment_link.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace telegram_webhook {

// The URL given to setWebhook (scripts/set-webhook reads it from --routes).
inline constexpr std::string_view webhook_path = "/webhook/telegram";

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::Secret webhook_secret;            // TELEGRAM_WEBHOOK_SECRET: the secret_token given to setWebhook
    std::string bot_username;                // TELEGRAM_BOT_USERNAME: /cmd@<it>, t.me links
    pnptv::PaymentLinkSettings link;         // the signed checkout links, and PUBLIC_BASE_URL for every link
    pnptv::LiveSettings live;                // Agora, the notices' cooldown
    pnptv::HangoutSettings hangouts;         // the rooms' invitations
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace telegram_webhook
