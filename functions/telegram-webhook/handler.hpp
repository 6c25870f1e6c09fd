// telegram-webhook — every update Telegram sends the bot: commands, inline buttons, and
// the user blocking or unblocking the bot.
#pragma once

#include "http.hpp"
#include "runtime.hpp"

namespace telegram_webhook {

pnptv::Response handle(const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace telegram_webhook
