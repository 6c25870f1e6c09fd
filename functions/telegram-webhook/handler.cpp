#include "handler.hpp"

#include <ctime>

#include "catalogue.hpp"
#include "crypto.hpp"
#include "log.hpp"
#include "messages.hpp"
#include "outbox.hpp"
#include "pages.hpp"
#include "payment_link.hpp"
#include "people.hpp"
#include "pg.hpp"
#include "radio.hpp"
#include "redis.hpp"
#include "telegram_update.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace telegram_webhook {

using namespace pnptv;

namespace {

constexpr size_t max_update_bytes = 1024 * 1024;
constexpr const char* dedupe_prefix = "tg:update:";

std::string language_of(const std::string& saved, const std::string& language_code) {
    if (saved == "en" || saved == "es") return saved;
    return language_code.substr(0, 2) == "es" ? "es" : "en";
}

// ---------------------------------------------------------------- users
struct User {
    long long id = 0;
    long long telegram_id = 0;
    std::string language = "en", tier = "free", role = "user", first_name;
    bool age_verified = false, banned = false;
};

constexpr const char* upsert_user_sql = R"sql(
INSERT INTO users (telegram_id, username, first_name, last_name, language)
VALUES ($1, NULLIF($2, ''), $3, NULLIF($4, ''), $5)
ON CONFLICT (telegram_id) DO UPDATE
   SET username = EXCLUDED.username, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
       unreachable_at = NULL
RETURNING id, language, tier, role, age_verified_at IS NOT NULL AS age_verified, banned_at IS NOT NULL AS banned, first_name
)sql";

// Everyone who writes to the bot is registered (the same row the web login uses); writing to us
// also proves they no longer block the bot.
User register_user(const TelegramSender& from) {
    auto r = db().exec(upsert_user_sql, {from.id, from.username, from.first_name, from.last_name, language_of("", from.language_code)});
    User u;
    u.id = r.get_int(0, "id");
    u.telegram_id = from.id;
    u.language = r.get(0, "language");
    u.tier = r.get(0, "tier");
    u.role = r.get(0, "role");
    u.age_verified = r.get_bool(0, "age_verified");
    u.banned = r.get_bool(0, "banned");
    u.first_name = r.get(0, "first_name");
    return u;
}

// ---------------------------------------------------------------- what an update produces
struct Outcome {
    explicit Outcome(const Settings& s) : settings(s) {}
    const Settings& settings;
    Json inline_reply;  // one Bot API call answered in the webhook response, when allowed
    struct Later {
        long long user_id;
        Json call;
        std::optional<std::string> dedupe_key;
    };
    std::vector<Later> later;  // everything else: through the outbox
    std::string outcome = "handled";

    // The first message goes back inline; further ones wait in the outbox.
    void reply(long long user_id, Json call) {
        if (inline_reply.is_null()) inline_reply = std::move(call);
        else later.push_back({user_id, std::move(call), std::nullopt});
    }
};

Json buttons(std::initializer_list<std::pair<std::string, std::string>> rows) {
    Json keyboard = Json::array();
    for (const auto& [text, data] : rows) keyboard.push_back(Json::array({{{"text", text}, {"callback_data", data}}}));
    return {{"inline_keyboard", keyboard}};
}

// ---------------------------------------------------------------- commands
void show_plans(Outcome& out, const User& u, long long chat_id) {
    auto plans = db().exec("SELECT id, name, price::text AS price, currency FROM plans WHERE active ORDER BY price, id");
    if (plans.rows() == 0) return out.reply(u.id, send_message(chat_id, say(u.language, "no_plans")));
    Json keyboard = Json::array();
    for (int i = 0; i < plans.rows(); ++i) {
        auto col = [&](const char* name) { return plans.get(i, name); };
        std::string label = say(u.language, "plan_button", {{"name", col("name")}, {"price", col("price")}, {"currency", col("currency")}});
        keyboard.push_back(Json::array({{{"text", label}, {"callback_data", "plan:" + col("id")}}}));
    }
    out.reply(u.id, send_message(chat_id, say(u.language, "plans_header"), {{"inline_keyboard", keyboard}}));
}

void send_plan_link(Outcome& out, const User& u, long long chat_id, const std::string& plan_id) {
    auto plan = db().exec("SELECT name FROM plans WHERE id = $1 AND active", {plan_id});
    if (plan.rows() == 0) return out.reply(u.id, send_message(chat_id, say(u.language, "unknown_plan")));
    long long expires = std::time(nullptr) + payment_link_minutes * 60;
    out.reply(u.id, send_message(chat_id, say(u.language, "plan_link",
                                              {{"plan", plan.get(0, 0)}, {"link", payment_link(out.settings.link, u.id, plan_id, expires)}})));
}

// The same rooms as the web's (common/hangouts.hpp): the owner's link opens the room, the
// invitation link admits others; neither carries a token (the page asks the API after login).
void hangout(Outcome& out, const User& u, long long chat_id, const std::string& args) {
    const std::string name = args.empty() ? to_hex(random_bytes(4)) : to_lower(args);
    if (!valid_hangout_name(name)) return out.reply(u.id, send_message(chat_id, say(u.language, "bad_room")));
    const HangoutRoom room = open_hangout(u.id, name);
    const HangoutSettings& h = out.settings.hangouts;
    const long long expires = static_cast<long long>(std::time(nullptr)) + h.invite_hours * 3600LL;
    const std::string& base = out.settings.link.public_base_url;
    out.reply(u.id, send_message(chat_id, say(u.language, "hangout_link",
                                              {{"room", name},
                                               {"link", hangout_page_link(base, room.id)},
                                               {"invite", hangout_invite_link(base, hangout_invite(h, room.id, expires))},
                                               {"hours", std::to_string(h.invite_hours)}})));
}

// The same start and end as the web's (common/live.hpp); the links carry the stream id only.
void live(Outcome& out, const User& u, long long chat_id, const std::string& args) {
    if (to_lower(args) == "stop") {
        auto stream = live_stream_of(u.id);
        return out.reply(u.id, send_message(chat_id, say(u.language, stream && end_live(*stream) ? "live_stopped" : "live_not_live")));
    }
    if (u.tier != "prime" && u.role != "admin")
        return out.reply(u.id, send_message(chat_id, say(u.language, "live_upsell"),
                                            buttons({{say(u.language, "prime_button"), "cmd:prime"}})));
    StartedLive started = start_live(out.settings.live, u.id, u.first_name, std::nullopt, false);
    const std::string link = live_page_link(out.settings.link.public_base_url, started.stream_id);
    out.reply(u.id, send_message(chat_id, say(u.language, started.created ? "live_started" : "live_already", {{"link", link}})));
}

// The page, and the newest few titles when there are any.
void videorama(Outcome& out, const User& u, long long chat_id) {
    const std::string link = out.settings.link.public_base_url + std::string(pages::videorama);
    std::string titles;
    for (const auto& t : newest_video_titles(5)) titles += "• " + t + "\n";
    out.reply(u.id, send_message(chat_id, titles.empty() ? say(u.language, "videorama", {{"link", link}})
                                                         : say(u.language, "videorama_newest", {{"titles", titles}, {"link", link}})));
}

void radio(Outcome& out, const User& u, long long chat_id) {
    std::string nothing = say(u.language, "radio_nothing", {{"link", out.settings.link.public_base_url + std::string(pages::hub)}});
    try {
        // The radio function's cache (common/radio.hpp): the bot never calls Navidrome itself.
        auto now = cached_now_playing();
        if (!now || now->entries.empty()) return out.reply(u.id, send_message(chat_id, nothing));
        const RadioEntry& e = now->entries.front();
        out.reply(u.id, send_message(chat_id, say(u.language, "radio_now", {{"title", e.title}, {"artist", e.artist}})));
    } catch (const RedisUnavailable&) {
        out.reply(u.id, send_message(chat_id, nothing));  // a radio line is not worth failing the update
    }
}

void age_prompt(Outcome& out, const User& u, long long chat_id, const std::string& payload) {
    std::string data = payload == "prime" ? "age:prime" : "age";
    out.reply(u.id, send_message(chat_id, say(u.language, "age_prompt"), buttons({{say(u.language, "age_button"), data}})));
}

// Links that act as the user (checkout links, video tokens) are sent only in their private
// chat; in a group anyone could open them. There the bot points to a private chat instead.
void private_only(Outcome& out, const User& u, long long chat_id, const std::string& start_payload) {
    out.outcome = "private_only";
    std::string link = "https://t.me/" + out.settings.bot_username + (start_payload.empty() ? "" : "?start=" + start_payload);
    out.reply(u.id, send_message(chat_id, say(u.language, "private_only", {{"link", link}})));
}

void run_command(Outcome& out, const User& u, long long chat_id, bool in_private, const std::string& command,
                 const std::string& args) {
    if (command == "start") {
        if (!u.age_verified) return age_prompt(out, u, chat_id, args);
        if (args == "prime") return show_plans(out, u, chat_id);
        return out.reply(u.id, send_message(chat_id, say(u.language, "help")));
    }
    if (command == "help") return out.reply(u.id, send_message(chat_id, say(u.language, "help")));
    if (!u.age_verified) return out.reply(u.id, send_message(chat_id, say(u.language, "need_start")));
    const bool acts_as_user = command == "prime" || command == "hangout" || (command == "live" && to_lower(args) != "stop");
    if (acts_as_user && !in_private) return private_only(out, u, chat_id, command == "prime" ? "prime" : "");
    if (command == "prime") return show_plans(out, u, chat_id);
    if (command == "hangout") return hangout(out, u, chat_id, args);
    if (command == "live") return live(out, u, chat_id, args);
    if (command == "videorama") return videorama(out, u, chat_id);
    if (command == "radio") return radio(out, u, chat_id);
    out.outcome = "unknown_command";
    out.reply(u.id, send_message(chat_id, say(u.language, "unknown_command")));
}

// "/cmd@BotName args" → ("cmd", "args"); empty command when addressed to another bot.
std::pair<std::string, std::string> parse_command(const std::string& text, std::string_view bot_username) {
    size_t space = text.find_first_of(" \n");
    std::string head = text.substr(1, space == std::string::npos ? std::string::npos : space - 1);
    std::string args = space == std::string::npos ? "" : std::string(trim(text.substr(space + 1)));
    size_t at = head.find('@');
    if (at != std::string::npos) {
        if (!iequals(head.substr(at + 1), bot_username)) return {"", ""};
        head = head.substr(0, at);
    }
    return {to_lower(head), args.substr(0, 256)};
}

void on_message(Outcome& out, const TelegramUpdate& update) {
    if (update.from.id <= 0 || update.chat_id == 0 || update.from.is_bot) {
        out.outcome = "ignored_no_sender";
        return;
    }
    User u = register_user(update.from);
    if (u.banned) {
        out.outcome = "ignored_banned";
        return;
    }
    const long long chat_id = update.chat_id;
    const std::string& text = update.text;
    if (text.empty()) {
        out.outcome = "not_text";
        if (update.in_private()) out.reply(u.id, send_message(chat_id, say(u.language, "not_text")));
        return;
    }
    if (text[0] != '/') {
        out.outcome = "plain_text";
        if (update.in_private())
            out.reply(u.id, send_message(chat_id, say(u.language, u.age_verified ? "unknown_command" : "need_start")));
        return;
    }
    auto [command, args] = parse_command(text, out.settings.bot_username);
    if (command.empty()) {
        out.outcome = "other_bot";
        return;
    }
    out.outcome = "command_" + command.substr(0, 32);
    run_command(out, u, chat_id, update.in_private(), command, args);
}

void on_callback(Outcome& out, const TelegramUpdate& update) {
    if (update.callback_id.empty() || update.from.id <= 0) {
        out.outcome = "ignored_malformed_callback";
        return;
    }
    // Always answered, so the user's button stops spinning; this is the inline reply.
    out.inline_reply = {{"method", "answerCallbackQuery"}, {"callback_query_id", update.callback_id}};
    User u = register_user(update.from);
    const long long chat_id = update.chat_id ? update.chat_id : u.telegram_id;
    const std::string& data = update.callback_data;
    if (u.banned) {
        out.outcome = "ignored_banned";
        return;
    }
    if (data == "age" || data == "age:prime") {
        const std::string name = confirm_age(u.id).value_or(u.first_name);
        u.age_verified = true;
        out.outcome = "age_verified";
        out.reply(u.id, send_message(chat_id, say(u.language, "age_confirmed", {{"name", name}}) + "\n\n" +
                                                  say(u.language, "help")));
        if (data == "age:prime") show_plans(out, u, chat_id);
        return;
    }
    if (!u.age_verified) return out.reply(u.id, send_message(chat_id, say(u.language, "need_start")));
    if (data.rfind("plan:", 0) == 0) {
        if (!update.in_private()) return private_only(out, u, chat_id, "prime");
        out.outcome = "plan_link";
        return send_plan_link(out, u, chat_id, data.substr(5, 64));
    }
    if (data == "cmd:prime") {
        out.outcome = "command_prime";
        return show_plans(out, u, chat_id);
    }
    out.outcome = "unknown_callback";
}

// The user blocked (kicked) or unblocked the bot in their private chat.
void on_my_chat_member(Outcome& out, const TelegramUpdate& update) {
    if (!update.in_private() || update.from.id <= 0) {
        out.outcome = "ignored_group_member_change";
        return;
    }
    if (update.member_status == "kicked") {
        db().exec("UPDATE users SET unreachable_at = now() WHERE telegram_id = $1 AND unreachable_at IS NULL", {update.from.id});
        out.outcome = "blocked_bot";
    } else if (update.member_status == "member") {
        db().exec("UPDATE users SET unreachable_at = NULL WHERE telegram_id = $1", {update.from.id});
        out.outcome = "unblocked_bot";
    } else {
        out.outcome = "ignored_member_status";
    }
}

// ---------------------------------------------------------------- the webhook
Response webhook(const Settings& s, const Request& request, const PathParams&) {
    if (!constant_time_equal(request.header("x-telegram-bot-api-secret-token").value_or(""), s.webhook_secret.reveal())) {
        log_event(LogLevel::warn, "webhook_bad_secret", {{"remote", request.remote_addr}});
        throw HttpError(401, "bad_secret", "Unknown sender.");
    }
    const TelegramUpdate update = parse_telegram_update(request.body);
    const long long update_id = update.update_id;
    const std::string& kind = update.kind;
    if (kind != "message" && kind != "callback_query" && kind != "my_chat_member") {
        log_event(LogLevel::debug, "update_ignored", {{"update_id", update_id}, {"kind", kind}});
        return Response::json(200, Json::object());
    }

    // Fast path for redeliveries: a marker written once an update's effects have committed.
    // Anything short of that (no marker, Redis down) goes to PostgreSQL, the real guarantee:
    // a delivery whose earlier attempt died mid-way is handled, never answered 200 unhandled.
    const std::string done_marker = dedupe_prefix + std::to_string(update_id);
    try {
        if (redis().command({"GET", done_marker}).str() == "done") {
            log_event(LogLevel::info, "update_duplicate", {{"update_id", update_id}, {"where", "redis"}});
            return Response::json(200, Json::object());
        }
    } catch (const RedisUnavailable&) {
    }
    Outcome out(s);
    bool duplicate = false;
    db().transaction([&] {
        // Concurrent deliveries serialise on this row: the second waits, then sees a conflict.
        auto claimed = db().exec("INSERT INTO telegram_updates (update_id, kind, outcome) VALUES ($1, $2, 'processing') "
                                 "ON CONFLICT (update_id) DO NOTHING", {update_id, kind});
        if (claimed.affected() == 0) {
            duplicate = true;
            return;
        }
        if (kind == "message") on_message(out, update);
        else if (kind == "callback_query") on_callback(out, update);
        else on_my_chat_member(out, update);
        for (const auto& later : out.later) enqueue_telegram(later.user_id, later.call, later.dedupe_key);
        db().exec("UPDATE telegram_updates SET outcome = $2 WHERE update_id = $1", {update_id, out.outcome});
    });
    try {
        redis().command({"SET", done_marker, "done", "EX", "86400"});
    } catch (const RedisUnavailable&) {
        // Only the fast path is lost: a redelivery finds the telegram_updates row.
    }
    if (duplicate) {
        log_event(LogLevel::info, "update_duplicate", {{"update_id", update_id}, {"where", "postgres"}});
        return Response::json(200, Json::object());
    }
    log_event(LogLevel::info, "update_handled", {{"update_id", update_id}, {"kind", kind}, {"outcome", out.outcome}});
    // Telegram reads one Bot API call from the response; it gives no result for it, so only a
    // reply whose failure needs no handling goes this way.
    return Response::json(200, out.inline_reply.is_null() ? Json::object() : out.inline_reply);
}

const Router<Settings> routes({
    {"POST", std::string(webhook_path), webhook, body(max_update_bytes)},
});

}  // namespace

Settings Settings::read(SettingsReader& r) {
    Settings s{DatabaseSettings::read(r), RedisSettings::read(r), r.secret("TELEGRAM_WEBHOOK_SECRET"),
               r.text("TELEGRAM_BOT_USERNAME"), PaymentLinkSettings::read(r), LiveSettings::read(r), HangoutSettings::read(r)};
    // Telegram's own rules for both (setWebhook's secret_token; a bot's username).
    if (!r.describing_only() && (s.webhook_secret.reveal().size() > 256 || !only_chars(s.webhook_secret.reveal(), "_-", true)))
        throw ConfigError("TELEGRAM_WEBHOOK_SECRET must be 1-256 of A-Z a-z 0-9 _ -");
    if (!r.describing_only() && (s.bot_username.size() < 5 || s.bot_username.size() > 32 || !only_chars(s.bot_username, "_", true)))
        throw ConfigError("TELEGRAM_BOT_USERNAME must be the bot's username without @: 5-32 of A-Z a-z 0-9 _");
    return s;
}

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("telegram-webhook", routes);
    return f;
}

}  // namespace telegram_webhook
