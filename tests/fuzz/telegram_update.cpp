// libFuzzer target for the Telegram update the webhook receives (common/telegram_update,
// docs/protocols.md §4). The input is the request body. Contracts:
// - parse_telegram_update answers, or throws 400 (invalid_json, or invalid_update naming
//   update_id); an update has update_id >= 0, a known kind or "unknown", a sender id >= 0, and
//   every text it keeps is valid UTF-8 within its bound (what is unusable reads as "");
// - only the fields of its kind are filled;
// - parse → encode → parse: the update written back as Telegram would send it reads the same.
#include "fuzz.hpp"
#include "telegram_update.hpp"
#include "text.hpp"

using namespace pnptv;

namespace {

bool within(const std::string& s, size_t max_bytes) { return s.size() <= max_bytes && is_valid_utf8(s); }

Json encode_sender(const TelegramSender& s) {
    return {{"id", s.id}, {"is_bot", s.is_bot}, {"first_name", s.first_name}, {"last_name", s.last_name},
            {"username", s.username}, {"language_code", s.language_code}};
}

Json encode(const TelegramUpdate& u) {
    Json update = {{"update_id", u.update_id}};
    const Json chat = {{"id", u.chat_id}, {"type", u.chat_type}};
    if (u.kind == "message") {
        update["message"] = {{"from", encode_sender(u.from)}, {"chat", chat}, {"text", u.text}};
    } else if (u.kind == "callback_query") {
        update["callback_query"] = {{"id", u.callback_id}, {"from", encode_sender(u.from)}, {"message", {{"chat", chat}}},
                                    {"data", u.callback_data}};
    } else if (u.kind == "my_chat_member") {
        update["my_chat_member"] = {{"from", encode_sender(u.from)}, {"chat", chat}, {"new_chat_member", {{"status", u.member_status}}}};
    } else if (u.kind != "unknown") {
        update[u.kind] = Json::object();
    }
    return update;
}

bool same(const TelegramUpdate& a, const TelegramUpdate& b) {
    return a.update_id == b.update_id && a.kind == b.kind && a.from.id == b.from.id && a.from.is_bot == b.from.is_bot &&
           a.from.first_name == b.from.first_name && a.from.last_name == b.from.last_name && a.from.username == b.from.username &&
           a.from.language_code == b.from.language_code && a.chat_id == b.chat_id && a.chat_type == b.chat_type && a.text == b.text &&
           a.callback_id == b.callback_id && a.callback_data == b.callback_data && a.member_status == b.member_status;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    TelegramUpdate u;
    try {
        u = parse_telegram_update(body);
    } catch (const HttpError& e) {
        FUZZ_REQUIRE(e.status == 400 && (e.code == "invalid_json" || (e.code == "invalid_update" && e.field == "update_id")));
        return 0;
    }
    FUZZ_REQUIRE(u.update_id >= 0 && u.from.id >= 0);
    bool known = u.kind == "unknown";
    for (const char* k : {"message", "callback_query", "my_chat_member", "edited_message", "inline_query", "channel_post", "chat_member",
                          "chat_join_request"})
        known = known || u.kind == k;
    FUZZ_REQUIRE(known);
    FUZZ_REQUIRE(within(u.from.first_name, 256) && within(u.from.last_name, 256) && within(u.from.username, 64) &&
                 within(u.from.language_code, 16));
    FUZZ_REQUIRE(within(u.chat_type, 32) && within(u.text, 1 << 20) && within(u.callback_id, 128) && within(u.callback_data, 64) &&
                 within(u.member_status, 32));
    if (u.kind != "message") FUZZ_REQUIRE(u.text.empty());
    if (u.kind != "callback_query") FUZZ_REQUIRE(u.callback_id.empty() && u.callback_data.empty());
    if (u.kind != "my_chat_member") FUZZ_REQUIRE(u.member_status.empty());
    if (u.kind != "message" && u.kind != "callback_query" && u.kind != "my_chat_member")
        FUZZ_REQUIRE(u.from.id == 0 && u.chat_id == 0 && u.chat_type.empty());
    FUZZ_REQUIRE(u.in_private() == (u.chat_type == "private"));

    const TelegramUpdate again = parse_telegram_update(encode(u).dump());
    FUZZ_REQUIRE(same(u, again));
    return 0;
}
