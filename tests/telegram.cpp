// functions/telegram-webhook against the run's PostgreSQL and Redis: every command and button
// in both languages, the secret, bad input, and once-only handling of redelivered updates.
#define BOOST_TEST_MODULE telegram
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>

#include "../functions/telegram-webhook/handler.hpp"
#include "agora.hpp"
#include "crypto.hpp"
#include "payment_link.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "runtime.hpp"
#include "testing.hpp"
#include "urlencoded.hpp"

using namespace pnptv;
using testing::body_json;
using testing::make_request;

namespace {

const std::string secret = "test-webhook-secret";

const Pairs bot_values = {{"TELEGRAM_BOT_USERNAME", "PNPtvTestBot"},
                          {"TELEGRAM_WEBHOOK_SECRET", secret},
                          {"PUBLIC_BASE_URL", "https://pnptv.test"},
                          {"PAYMENT_LINK_SECRET", "link-secret"},
                          {"AGORA_APP_ID", "970CA35de60c44645bbae8a215061b33"},
                          {"AGORA_APP_CERTIFICATE", "5CFd2fd1755d40ecb72977518be15d3b"},
                          {"AGORA_TOKEN_TTL_SECONDS", "1800"},
                          {"HANGOUT_INVITE_SECRET", "hangout-test-secret"}};
const auto settings = testing::settings<telegram_webhook::Settings>(bot_values);
const Secret link_secret("link-secret");

long long next_update_id() { return testing::unique_number(); }
long long fresh_telegram_id() { return 4'000'000'000LL + testing::unique_number() % 100'000'000LL; }

Response post_update(const Json& update, const std::string& token = secret) {
    Pairs headers = {{"content-type", "application/json"}};
    if (!token.empty()) headers.emplace_back("x-telegram-bot-api-secret-token", token);
    return telegram_webhook::handle(settings, make_request("POST", "/webhook/telegram", update.dump(), headers));
}

Json message_update(long long tg, const std::string& text, const std::string& lang = "en") {
    return {{"update_id", next_update_id()},
            {"message", {{"message_id", 1}, {"date", std::time(nullptr)},
                         {"from", {{"id", tg}, {"is_bot", false}, {"first_name", "Ana"}, {"language_code", lang}}},
                         {"chat", {{"id", tg}, {"type", "private"}}},
                         {"text", text}}}};
}

Json group_message_update(long long tg, const std::string& text, const std::string& type = "supergroup") {
    Json u = message_update(tg, text);
    u["message"]["chat"] = {{"id", -100'000'000'000LL - tg}, {"type", type}, {"title", "PNPtv fans"}};
    return u;
}

Json callback_update(long long tg, const std::string& data, const std::string& lang = "en") {
    return {{"update_id", next_update_id()},
            {"callback_query", {{"id", "cb" + std::to_string(next_update_id())},
                                {"from", {{"id", tg}, {"is_bot", false}, {"first_name", "Ana"}, {"language_code", lang}}},
                                {"message", {{"message_id", 5}, {"chat", {{"id", tg}, {"type", "private"}}}}},
                                {"data", data}}}};
}

// The outbox rows queued for a Telegram user, oldest first.
std::vector<Json> queued_for(long long tg) {
    auto r = db().exec("SELECT o.payload::text FROM outbox o JOIN users u ON u.id = o.user_id "
                       "WHERE u.telegram_id = $1 ORDER BY o.id", {tg});
    std::vector<Json> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(Json::parse(r.get(i, 0)));
    return out;
}

long long user_id_of(long long tg) { return db().exec("SELECT id FROM users WHERE telegram_id = $1", {tg}).get_int(0, 0); }

// A user who has done /start and confirmed their age.
long long verified_user(const std::string& lang = "en", const std::string& tier = "free") {
    long long tg = fresh_telegram_id();
    BOOST_TEST_REQUIRE(post_update(message_update(tg, "/start", lang)).status == 200);
    BOOST_TEST_REQUIRE(post_update(callback_update(tg, "age", lang)).status == 200);
    db().exec("UPDATE users SET tier = $2 WHERE telegram_id = $1", {tg, tier});
    return tg;
}

bool accepts_connections(const std::string& socket_path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string query_param(const std::string& url, const std::string& name) {
    auto q = parse_urlencoded(url.substr(url.find('?') + 1));
    return find_value(*q, name).value_or("");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(security_and_input)

BOOST_AUTO_TEST_CASE(settings_telegram_and_agora_would_refuse_stop_start_up) {
    auto refused = [](const Pairs& change) {
        Pairs values = bot_values;
        for (const auto& c : change) values.push_back(c);
        try {
            testing::settings<telegram_webhook::Settings>(values);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        BOOST_ERROR("no ConfigError");
        return std::string();
    };
    BOOST_TEST(refused({{"TELEGRAM_WEBHOOK_SECRET", std::string(257, 'a')}}).find("TELEGRAM_WEBHOOK_SECRET") != std::string::npos);
    BOOST_TEST(refused({{"TELEGRAM_WEBHOOK_SECRET", "bad secret"}}).find("TELEGRAM_WEBHOOK_SECRET") != std::string::npos);
    BOOST_TEST(refused({{"TELEGRAM_BOT_USERNAME", "@PNPtvTestBot"}}).find("TELEGRAM_BOT_USERNAME") != std::string::npos);
    BOOST_TEST(refused({{"TELEGRAM_BOT_USERNAME", "bot"}}).find("TELEGRAM_BOT_USERNAME") != std::string::npos);
    BOOST_TEST(refused({{"AGORA_APP_ID", "970CA35de60c44645bbae8a215061b3"}}).find("AGORA_APP_ID") != std::string::npos);
    BOOST_TEST(refused({{"AGORA_APP_CERTIFICATE", "5CFd2fd1755d40ecb72977518be15d3g"}}).find("AGORA_APP_CERTIFICATE") != std::string::npos);
    BOOST_TEST(testing::settings<telegram_webhook::Settings>(bot_values).bot_username == "PNPtvTestBot");
}

BOOST_AUTO_TEST_CASE(wrong_or_missing_secret_is_401_and_changes_nothing) {
    long long tg = fresh_telegram_id();
    for (const std::string& token : {std::string(), std::string("wrong"), secret + "x", secret.substr(1)}) {
        auto r = post_update(message_update(tg, "/start"), token);
        BOOST_TEST(r.status == 401);
        BOOST_TEST(body_json(r)["error"]["code"] == "bad_secret");
    }
    BOOST_TEST(db().exec("SELECT 1 FROM users WHERE telegram_id = $1", {tg}).rows() == 0);
}

BOOST_AUTO_TEST_CASE(malformed_updates_are_400) {
    Pairs h = {{"content-type", "application/json"}, {"x-telegram-bot-api-secret-token", secret}};
    for (const char* body : {"{\"update_id\":", "[1,2]", "{}", "{\"update_id\":\"7\"}", "{\"update_id\":-1}", ""}) {
        auto r = telegram_webhook::handle(settings, make_request("POST", "/webhook/telegram", body, h));
        BOOST_TEST(r.status == 400, body);
        BOOST_TEST(body_json(r)["error"].is_object());
    }
}

BOOST_AUTO_TEST_CASE(oversize_update_is_413) {
    Request r = make_request("POST", "/webhook/telegram", {},
                             {{"content-length", "2000000"}, {"x-telegram-bot-api-secret-token", secret}});
    BOOST_TEST(serve(telegram_webhook::function(), r, [](char*, size_t) { return size_t{0}; }).status == 413);
}

BOOST_AUTO_TEST_CASE(unknown_update_types_and_missing_fields_are_200_and_ignored) {
    // Each: the update, and what telegram_updates records for it ("": nothing, never claimed).
    const std::vector<std::pair<Json, std::string>> cases = {
        {{{"inline_query", {{"id", "1"}}}}, ""},
        {{{"poll", {{"id", "1"}}}}, ""},
        {{{"message", {{"text", "/start"}}}}, "ignored_no_sender"},
        {{{"message", "not an object"}}, "ignored_no_sender"},
        {{{"callback_query", {{"data", "age"}}}}, "ignored_malformed_callback"},
    };
    for (auto [update, outcome] : cases) {
        long long id = next_update_id();
        update["update_id"] = id;
        auto r = post_update(update);
        BOOST_TEST(r.status == 200, update.dump());
        BOOST_TEST(body_json(r) == Json::object(), update.dump());  // no reply
        auto row = db().exec("SELECT outcome FROM telegram_updates WHERE update_id = $1", {id});
        BOOST_TEST((row.rows() ? row.get(0, 0) : std::string()) == outcome, update.dump());
    }
}

BOOST_AUTO_TEST_CASE(huge_text_and_non_text_messages) {
    long long tg = verified_user();
    auto big = post_update(message_update(tg, "/hangout " + std::string(100000, 'a')));
    BOOST_TEST(big.status == 200);
    BOOST_TEST(body_json(big)["text"].get<std::string>().find("Room names") != std::string::npos);
    Json photo = message_update(tg, "");
    photo["message"].erase("text");
    photo["message"]["photo"] = Json::array({{{"file_id", "x"}}});
    auto r = post_update(photo);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(body_json(r)["text"].get<std::string>().find("only read text") != std::string::npos);
    // A name longer than Telegram allows is dropped, not stored; the user is still served.
    long long named = fresh_telegram_id();
    Json bad_name = message_update(named, "/help");
    bad_name["message"]["from"]["first_name"] = std::string(300, 'x');
    auto help = post_update(bad_name);
    BOOST_TEST(help.status == 200);
    BOOST_TEST(body_json(help)["text"].get<std::string>().find("this list") != std::string::npos);
    BOOST_TEST(db().exec("SELECT coalesce(first_name, '') FROM users WHERE telegram_id = $1", {named}).get(0, 0) == "");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(commands)

BOOST_AUTO_TEST_CASE(start_registers_and_asks_for_age_in_both_languages) {
    for (const char* lang : {"en", "es"}) {
        long long tg = fresh_telegram_id();
        auto r = post_update(message_update(tg, "/start", lang));
        BOOST_TEST_REQUIRE(r.status == 200);
        auto reply = body_json(r);
        BOOST_TEST(reply["method"] == "sendMessage");
        BOOST_TEST(reply["chat_id"] == tg);
        std::string text = reply["text"];
        BOOST_TEST(text.find(std::string(lang) == "es" ? "solo para adultos" : "adults only") != std::string::npos, text);
        BOOST_TEST(reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "age");
        auto user = db().exec("SELECT language, age_verified_at IS NULL FROM users WHERE telegram_id = $1", {tg});
        BOOST_TEST(user.get(0, 0) == lang);
        BOOST_TEST(user.get_bool(0, 1));
    }
}

BOOST_AUTO_TEST_CASE(age_button_verifies_and_answers_the_callback) {
    for (const char* lang : {"en", "es"}) {
        long long tg = fresh_telegram_id();
        post_update(message_update(tg, "/start", lang));
        auto r = post_update(callback_update(tg, "age", lang));
        BOOST_TEST(body_json(r)["method"] == "answerCallbackQuery");
        BOOST_TEST(db().exec("SELECT age_verified_at IS NOT NULL FROM users WHERE telegram_id = $1", {tg}).get_bool(0, 0));
        auto queued = queued_for(tg);
        BOOST_REQUIRE(queued.size() == 1u);
        std::string text = queued[0]["text"];
        BOOST_TEST(text.find(std::string(lang) == "es" ? "Ya puedes empezar" : "all set") != std::string::npos, text);
        BOOST_TEST(text.find("/prime") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(commands_wait_for_the_age_confirmation) {
    long long tg = fresh_telegram_id();
    post_update(message_update(tg, "/start", "es"));
    for (const char* cmd : {"/prime", "/hangout", "/live", "/radio", "/videorama"}) {
        auto r = body_json(post_update(message_update(tg, cmd, "es")));
        BOOST_TEST(r["text"].get<std::string>().find("/start") != std::string::npos, cmd);
    }
    BOOST_TEST(db().exec("SELECT 1 FROM live_streams l JOIN users u ON u.id = l.host_id WHERE u.telegram_id = $1", {tg}).rows() == 0);
    // /help is always allowed.
    BOOST_TEST(body_json(post_update(message_update(tg, "/help", "es")))["text"].get<std::string>().find("esta lista") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(help_in_both_languages_and_saved_language_wins) {
    long long en = verified_user("en"), es = verified_user("es");
    BOOST_TEST(body_json(post_update(message_update(en, "/help")))["text"].get<std::string>().find("this list") != std::string::npos);
    BOOST_TEST(body_json(post_update(message_update(es, "/help")))["text"].get<std::string>().find("esta lista") != std::string::npos);
    // The saved language wins over the client's language_code.
    BOOST_TEST(body_json(post_update(message_update(es, "/help", "en")))["text"].get<std::string>().find("esta lista") != std::string::npos);
    BOOST_TEST(body_json(post_update(message_update(en, "/help@PNPtvTestBot")))["method"] == "sendMessage");
    BOOST_TEST(!body_json(post_update(message_update(en, "/help@SomeOtherBot"))).contains("method"));
    BOOST_TEST(body_json(post_update(message_update(en, "/nosuch")))["text"].get<std::string>().find("/help") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(prime_lists_plans_and_a_plan_button_sends_a_signed_link) {
    for (const char* lang : {"en", "es"}) {
        long long tg = verified_user(lang);
        auto plans = body_json(post_update(message_update(tg, "/prime", lang)));
        auto keyboard = plans["reply_markup"]["inline_keyboard"];
        BOOST_TEST(keyboard.size() == 3u);
        BOOST_TEST(keyboard[0][0]["callback_data"].get<std::string>().rfind("plan:", 0) == 0u);
        BOOST_TEST(keyboard.dump().find("prime-monthly-cop") != std::string::npos);
        auto r = post_update(callback_update(tg, "plan:prime-monthly-usd", lang));
        BOOST_TEST(body_json(r)["method"] == "answerCallbackQuery");
        auto queued = queued_for(tg);
        std::string text = queued.back()["text"];
        size_t at = text.find("https://pnptv.test/api/payment/checkout?");
        BOOST_REQUIRE(at != std::string::npos);
        std::string link = text.substr(at);
        long long uid = std::stoll(query_param(link, "u"));
        long long exp = std::stoll(query_param(link, "exp"));
        BOOST_TEST(uid == user_id_of(tg));
        BOOST_TEST(query_param(link, "p") == "prime-monthly-usd");
        BOOST_TEST((exp > std::time(nullptr) && exp <= std::time(nullptr) + 1800));
        BOOST_TEST(payment_link_valid(link_secret, uid, "prime-monthly-usd", exp, query_param(link, "sig")));
        BOOST_TEST(!payment_link_valid(link_secret, uid, "prime-lifetime-usd", exp, query_param(link, "sig")));
        // A plan that doesn't exist gets a polite answer, not a link.
        post_update(callback_update(tg, "plan:nope", lang));
        BOOST_TEST(queued_for(tg).back()["text"].get<std::string>().find("/prime") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(start_prime_deep_link_goes_to_the_plans) {
    long long tg = fresh_telegram_id();
    auto first = body_json(post_update(message_update(tg, "/start prime")));
    BOOST_TEST(first["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "age:prime");
    post_update(callback_update(tg, "age:prime"));
    auto queued = queued_for(tg);
    BOOST_REQUIRE(queued.size() == 2u);
    BOOST_TEST(queued[1]["reply_markup"]["inline_keyboard"].size() == 3u);
    BOOST_TEST(body_json(post_update(message_update(tg, "/start prime")))["reply_markup"]["inline_keyboard"].size() == 3u);
}

BOOST_AUTO_TEST_CASE(hangout_opens_the_owners_room_with_an_invitation_and_no_token) {
    long long tg = verified_user("es");
    auto r = body_json(post_update(message_update(tg, "/hangout Friday_Night")));
    std::string text = r["text"];
    BOOST_TEST(text.find("friday_night") != std::string::npos, text);
    auto room = db().exec("SELECT id FROM hangout_rooms WHERE owner_id = $1 AND name = 'friday_night' AND closed_at IS NULL", {user_id_of(tg)});
    BOOST_REQUIRE(room.rows() == 1);
    // The room's link names the room only; the invitation is signed, for this room, expiring.
    BOOST_TEST(text.find("https://pnptv.test/hangouts/?room=" + room.get(0, 0) + "\n") != std::string::npos, text);
    BOOST_TEST(text.find("token") == std::string::npos, text);
    std::string invite_link = text.substr(text.find("https://pnptv.test/hangouts/?invite="));
    auto hangouts = settings.hangouts;
    auto invited = invited_room(hangouts, query_param(invite_link, "invite"), std::time(nullptr));
    BOOST_REQUIRE(invited.has_value());
    BOOST_TEST(*invited == room.get_int(0, 0));
    BOOST_TEST(!invited_room(hangouts, query_param(invite_link, "invite"), std::time(nullptr) + 25 * 3600).has_value());
    // The same name again is the same room; no name: a new one of its own.
    post_update(message_update(tg, "/hangout friday_night"));
    BOOST_TEST(db().exec("SELECT count(*) FROM hangout_rooms WHERE owner_id = $1", {user_id_of(tg)}).get_int(0, 0) == 1);
    post_update(message_update(tg, "/hangout"));
    BOOST_TEST(db().exec("SELECT count(*) FROM hangout_rooms WHERE owner_id = $1", {user_id_of(tg)}).get_int(0, 0) == 2);
    BOOST_TEST(body_json(post_update(message_update(tg, "/hangout ../etc")))["text"].get<std::string>().find("nombres de sala") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(live_is_prime_only) {
    long long tg = verified_user("en", "free");
    auto r = body_json(post_update(message_update(tg, "/live")));
    BOOST_TEST(r["text"].get<std::string>().find("PRIME feature") != std::string::npos);
    BOOST_TEST(r["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "cmd:prime");
    BOOST_TEST(db().exec("SELECT 1 FROM live_streams WHERE host_id = $1", {user_id_of(tg)}).rows() == 0);
    post_update(callback_update(tg, "cmd:prime"));
    BOOST_TEST(queued_for(tg).back()["reply_markup"]["inline_keyboard"].size() == 3u);
}

BOOST_AUTO_TEST_CASE(live_starts_notifies_followers_and_stops) {
    long long host_tg = verified_user("en", "prime");
    long long fan_en = verified_user("en"), fan_es = verified_user("es"), stranger = verified_user("en");
    long long host = user_id_of(host_tg);
    for (long long fan : {fan_en, fan_es})
        db().exec("INSERT INTO follows (follower_id, followed_id) VALUES ($1, $2)", {user_id_of(fan), host});
    auto r = body_json(post_update(message_update(host_tg, "/live")));
    std::string text = r["text"];
    std::string link = text.substr(text.find("https://pnptv.test/media/live/?"));
    link = link.substr(0, link.find('\n'));
    auto stream = db().exec("SELECT id, channel, status FROM live_streams WHERE host_id = $1", {host});
    BOOST_REQUIRE(stream.rows() == 1);
    // The link names the stream and nothing else: the studio page gets its token from the API.
    BOOST_TEST(link == "https://pnptv.test/media/live/?stream=" + stream.get(0, 0));
    BOOST_TEST(queued_for(fan_en).back()["text"].get<std::string>().find("is live on PNPtv") != std::string::npos);
    BOOST_TEST(queued_for(fan_es).back()["text"].get<std::string>().find("está en vivo") != std::string::npos);
    BOOST_TEST(queued_for(stranger).size() == 1u);  // only the age confirmation
    // Again while live: the same stream, no second round of notices.
    BOOST_TEST(body_json(post_update(message_update(host_tg, "/live")))["text"].get<std::string>().find("already live") != std::string::npos);
    BOOST_TEST(queued_for(fan_en).size() == 2u);
    auto stop = body_json(post_update(message_update(host_tg, "/live stop")));
    BOOST_TEST(stop["text"].get<std::string>().find("ended") != std::string::npos);
    auto ended = db().exec("SELECT status, ended_at IS NOT NULL FROM live_streams WHERE host_id = $1", {host});
    BOOST_TEST(ended.get(0, 0) == "ended");
    BOOST_TEST(ended.get_bool(0, 1));
    // …and the viewers' pages are told, through the outbox.
    BOOST_TEST(db().exec("SELECT count(*) FROM outbox WHERE kind = 'realtime' AND dedupe_key = $1", {"live-ended:" + stream.get(0, 0)}).get_int(0, 0) == 1);
    BOOST_TEST(body_json(post_update(message_update(host_tg, "/live stop")))["text"].get<std::string>().find("not live") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(links_that_act_as_the_user_never_go_to_a_group) {
    long long tg = verified_user("en", "prime");
    for (const char* type : {"group", "supergroup"}) {
        for (const char* cmd : {"/live", "/hangout party", "/prime"}) {
            auto r = body_json(post_update(group_message_update(tg, cmd, type)));
            std::string text = r["text"];
            BOOST_TEST(r["chat_id"].get<long long>() < 0);
            BOOST_TEST(text.find("private chat") != std::string::npos, text);
            BOOST_TEST(text.find("https://t.me/PNPtvTestBot") != std::string::npos, text);
            BOOST_TEST(text.find("token") == std::string::npos, text);
            BOOST_TEST(text.find("invite") == std::string::npos, text);
            BOOST_TEST(!r.contains("reply_markup"));
        }
    }
    BOOST_TEST(db().exec("SELECT count(*) FROM live_streams WHERE host_id = $1", {user_id_of(tg)}).get_int(0, 0) == 0);
    // A plan button pressed under a message in a group: no checkout link there either.
    Json press = callback_update(tg, "plan:prime-monthly-usd");
    press["callback_query"]["message"]["chat"] = {{"id", -100'000'000'001LL}, {"type", "supergroup"}};
    post_update(press);
    std::string last = queued_for(tg).back()["text"];
    BOOST_TEST(last.find("/api/payment/checkout") == std::string::npos, last);
    BOOST_TEST(last.find("private chat") != std::string::npos, last);
    // Nothing of this kind leaked into any message queued for the user either.
    for (const auto& m : queued_for(tg)) BOOST_TEST(m.dump().find("invite=") == std::string::npos);
    // In private the same commands work.
    BOOST_TEST(body_json(post_update(message_update(tg, "/hangout party")))["text"].get<std::string>().find("invite=") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_host_going_live_again_and_again_notifies_once_per_cooldown) {
    long long host_tg = verified_user("en", "prime"), fan = verified_user("en");
    db().exec("INSERT INTO follows (follower_id, followed_id) VALUES ($1, $2)", {user_id_of(fan), user_id_of(host_tg)});
    for (int i = 0; i < 10; ++i) {
        BOOST_TEST(post_update(message_update(host_tg, "/live")).status == 200);
        BOOST_TEST(post_update(message_update(host_tg, "/live stop")).status == 200);
    }
    BOOST_TEST(db().exec("SELECT count(*) FROM live_streams WHERE host_id = $1", {user_id_of(host_tg)}).get_int(0, 0) == 10);
    auto notices = db().exec("SELECT count(*) FROM outbox WHERE user_id = $1 AND dedupe_key LIKE 'live:%'", {user_id_of(fan)});
    BOOST_TEST(notices.get_int(0, 0) == 1);
    // After the cooldown the next stream is announced again.
    db().exec("UPDATE live_streams SET notices_sent_at = now() - interval '31 minutes' WHERE host_id = $1", {user_id_of(host_tg)});
    post_update(message_update(host_tg, "/live"));
    BOOST_TEST(db().exec("SELECT count(*) FROM outbox WHERE user_id = $1 AND dedupe_key LIKE 'live:%'", {user_id_of(fan)}).get_int(0, 0) == 2);
}

BOOST_AUTO_TEST_CASE(videorama_and_radio) {
    long long tg = verified_user("es");
    BOOST_TEST(body_json(post_update(message_update(tg, "/videorama")))["text"].get<std::string>().find("/media/videorama/") != std::string::npos);
    // With published videos, the newest titles come along (drafts never).
    db().exec("INSERT INTO videos (title, category, file_path, published_at) VALUES ('Estreno', 'featured', 'a.mp4', now()), "
              "('Borrador', 'featured', 'b.mp4', NULL)");
    const std::string listed = body_json(post_update(message_update(tg, "/videorama")))["text"];
    BOOST_TEST(listed.find("Lo nuevo en Videorama") != std::string::npos, listed);
    BOOST_TEST(listed.find("• Estreno") != std::string::npos, listed);
    BOOST_TEST(listed.find("Borrador") == std::string::npos, listed);
    BOOST_TEST(listed.find("/media/videorama/") != std::string::npos, listed);
    redis().command({"DEL", "radio:now-playing"});
    BOOST_TEST(body_json(post_update(message_update(tg, "/radio")))["text"].get<std::string>().find("entre canciones") != std::string::npos);
    redis().command({"SET", "radio:now-playing", R"({"entries":[{"title":"Song A","artist":"Band B"}]})", "EX", "60"});
    std::string now = body_json(post_update(message_update(tg, "/radio")))["text"];
    BOOST_TEST(now.find("Song A") != std::string::npos);
    BOOST_TEST(now.find("Band B") != std::string::npos);
    redis().command({"DEL", "radio:now-playing"});
}

BOOST_AUTO_TEST_CASE(blocking_the_bot_marks_the_user_unreachable) {
    long long tg = verified_user();
    auto member = [&](const char* status) {
        return Json{{"update_id", next_update_id()},
                    {"my_chat_member", {{"chat", {{"id", tg}, {"type", "private"}}}, {"from", {{"id", tg}, {"first_name", "Ana"}}},
                                        {"date", std::time(nullptr)},
                                        {"old_chat_member", {{"status", "member"}}},
                                        {"new_chat_member", {{"status", status}}}}}};
    };
    BOOST_TEST(post_update(member("kicked")).status == 200);
    BOOST_TEST(db().exec("SELECT unreachable_at IS NOT NULL FROM users WHERE telegram_id = $1", {tg}).get_bool(0, 0));
    BOOST_TEST(post_update(member("member")).status == 200);
    BOOST_TEST(!db().exec("SELECT unreachable_at IS NOT NULL FROM users WHERE telegram_id = $1", {tg}).get_bool(0, 0));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(once_only)

BOOST_AUTO_TEST_CASE(the_same_update_twice_has_one_effect) {
    long long tg = verified_user("en", "prime");
    Json update = message_update(tg, "/live");
    auto first = post_update(update);
    auto second = post_update(update);
    BOOST_TEST(first.status == 200);
    BOOST_TEST(second.status == 200);
    BOOST_TEST(!body_json(second).contains("method"));  // no second reply
    BOOST_TEST(db().exec("SELECT count(*) FROM live_streams WHERE host_id = $1", {user_id_of(tg)}).get_int(0, 0) == 1);
    // Even when the Redis fast path has forgotten it, PostgreSQL remembers.
    redis().command({"DEL", "tg:update:" + std::to_string(update["update_id"].get<long long>())});
    BOOST_TEST(!body_json(post_update(update)).contains("method"));
    BOOST_TEST(db().exec("SELECT count(*) FROM telegram_updates WHERE update_id = $1", {update["update_id"].get<long long>()}).get_int(0, 0) == 1);
}

BOOST_AUTO_TEST_CASE(a_delivery_whose_earlier_attempt_died_is_handled_not_dropped) {
    // A worker killed mid-update left its Redis marker (the way the earlier code did) and no
    // committed telegram_updates row: Telegram's redelivery must be handled, not answered empty.
    long long tg = verified_user("en");
    Json update = message_update(tg, "/help");
    const std::string marker = "tg:update:" + std::to_string(update["update_id"].get<long long>());
    redis().command({"SET", marker, "processing", "EX", "60"});
    auto r = post_update(update);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(body_json(r)["method"] == "sendMessage");
    BOOST_TEST(body_json(r)["text"].get<std::string>().find("/prime") != std::string::npos);
    BOOST_TEST(redis().command({"GET", marker}).str() == "done");
    BOOST_TEST(db().exec("SELECT outcome FROM telegram_updates WHERE update_id = $1", {update["update_id"].get<long long>()}).get(0, 0) ==
               "command_help");
}

BOOST_AUTO_TEST_CASE(concurrent_deliveries_have_one_effect) {
    long long tg = verified_user("en", "prime");
    Json update = message_update(tg, "/live");
    std::string dir = testing::temp_dir();
    {
        FILE* f = std::fopen((dir + "/update.json").c_str(), "w");
        std::string body = update.dump();
        std::fwrite(body.data(), 1, body.size(), f);
        std::fclose(f);
    }
    // Eight processes at once, each the real binary in CGI mode with its own connections.
    auto r = testing::shell(
        "cd '" + dir + "'\n"
        "for i in 1 2 3 4 5 6 7 8; do\n"
        "  env " + testing::shell_assignments(bot_values) + "REQUEST_METHOD=POST REQUEST_URI=/webhook/telegram CONTENT_TYPE=application/json "
        "CONTENT_LENGTH=$(stat -c %s update.json) HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN='" + secret + "' "
        "\"$PNPTV_REPO/$BUILD/bin/telegram-webhook\" < update.json > out.$i 2>/dev/null &\n"
        "done\nwait\ngrep -h '^Status' out.* | sort | uniq -c\ngrep -l '\"method\"' out.* | wc -l");
    BOOST_TEST(r.output.find("8 Status: 200 OK") != std::string::npos, r.output);
    BOOST_TEST(r.output.substr(r.output.rfind('\n', r.output.size() - 2) + 1).find("1") == 0u, r.output);
    BOOST_TEST(db().exec("SELECT count(*) FROM live_streams WHERE host_id = $1", {user_id_of(tg)}).get_int(0, 0) == 1);
}

// The function as spawn-fcgi runs it, stopped while an update is in flight (held on the update's
// row lock by a transaction of the test's own): the update is finished and answered, nothing new
// is accepted meanwhile, and the process exits 0.
BOOST_AUTO_TEST_CASE(sigterm_lets_the_update_in_flight_finish) {
    long long tg = verified_user("en");
    Json update = message_update(tg, "/help");
    const long long update_id = update["update_id"];
    const std::string dir = testing::temp_dir(), sock = dir + "/w.sock";
    std::ofstream(dir + "/update.json") << update.dump();
    Pg holder(testing::settings<DatabaseSettings>().url);
    holder.exec("BEGIN");
    holder.exec("INSERT INTO telegram_updates (update_id, kind, outcome) VALUES ($1, 'message', 'held')", {update_id});
    testing::shell("cd '" + dir + "'\n( env " + testing::shell_assignments(bot_values) +
                   "spawn-fcgi -n -s w.sock -- \"$PNPTV_REPO/$BUILD/bin/telegram-webhook\" >worker.log 2>&1 & echo $! >pid; "
                   "wait $!; echo $? >exit ) >/dev/null 2>&1 &");
    BOOST_TEST_REQUIRE(testing::wait_for([&] { return accepts_connections(sock); }));
    testing::shell("cd '" + dir + "'\nenv REQUEST_METHOD=POST REQUEST_URI=/webhook/telegram CONTENT_TYPE=application/json "
                   "CONTENT_LENGTH=$(stat -c %s update.json) HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN='" + secret +
                   "' cgi-fcgi -bind -connect w.sock <update.json >answer 2>&1 &");
    // In flight: its claim of the update waits for the test's lock.
    BOOST_TEST_REQUIRE(testing::wait_for([&] {
        return db().exec("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                         "AND query LIKE 'INSERT INTO telegram_updates%'").get_int(0, 0) == 1;
    }));
    testing::shell("kill -TERM $(cat '" + dir + "/pid')");
    BOOST_TEST(testing::wait_for([&] { return !accepts_connections(sock); }));  // takes nothing new
    BOOST_TEST(file_text(dir + "/answer").empty());
    holder.exec("ROLLBACK");
    BOOST_TEST_REQUIRE(testing::wait_for([&] { return std::filesystem::exists(dir + "/exit"); }));
    BOOST_TEST(file_text(dir + "/exit") == "0\n");
    const std::string answer = file_text(dir + "/answer");
    BOOST_TEST(answer.find("Status: 200 OK") != std::string::npos, answer);
    BOOST_TEST(answer.find("\"method\":\"sendMessage\"") != std::string::npos, answer);
    BOOST_TEST(db().exec("SELECT outcome FROM telegram_updates WHERE update_id = $1", {update_id}).get(0, 0) == "command_help");
}

BOOST_AUTO_TEST_SUITE_END()
