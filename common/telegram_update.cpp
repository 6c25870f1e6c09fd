#include "telegram_update.hpp"

#include "text.hpp"

namespace pnptv {

namespace {

long long int_at(const Json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<long long>() : 0;
}
// A string field, or "" when absent, not a string, not UTF-8 or longer than max_bytes.
std::string str_at(const Json& j, const char* key, size_t max_bytes) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return {};
    std::string s = j[key].get<std::string>();
    return s.size() <= max_bytes && is_valid_utf8(s) ? s : std::string();
}
const Json& obj_at(const Json& j, const char* key) {
    static const Json empty = Json::object();
    return j.is_object() && j.contains(key) && j[key].is_object() ? j[key] : empty;
}

TelegramSender sender_of(const Json& from) {
    TelegramSender s;
    s.id = std::max(0LL, int_at(from, "id"));
    s.is_bot = from.contains("is_bot") && from["is_bot"].is_boolean() && from["is_bot"].get<bool>();
    s.first_name = str_at(from, "first_name", 256);
    s.last_name = str_at(from, "last_name", 256);
    s.username = str_at(from, "username", 64);
    s.language_code = str_at(from, "language_code", 16);
    return s;
}

void chat_of(const Json& chat, TelegramUpdate& u) {
    u.chat_id = int_at(chat, "id");
    u.chat_type = str_at(chat, "type", 32);
}

}  // namespace

TelegramUpdate parse_telegram_update(std::string_view body) {
    Json update = Json::parse(body, nullptr, false);
    if (update.is_discarded()) throw HttpError(400, "invalid_json", "The update is not valid JSON.");
    if (!update.is_object() || !update.contains("update_id") || !update["update_id"].is_number_integer() ||
        update["update_id"].get<long long>() < 0)
        throw HttpError(400, "invalid_update", "An update needs a non-negative integer update_id.", "update_id");
    TelegramUpdate u;
    u.update_id = update["update_id"].get<long long>();
    u.kind = "unknown";
    for (const char* k : {"message", "callback_query", "my_chat_member", "edited_message", "inline_query", "channel_post",
                          "chat_member", "chat_join_request"})
        if (update.contains(k)) {
            u.kind = k;
            break;
        }
    if (u.kind == "message") {
        const Json& m = update["message"];
        u.from = sender_of(obj_at(m, "from"));
        chat_of(obj_at(m, "chat"), u);
        u.text = str_at(m, "text", 1 << 20);  // bounded by the body cap
    } else if (u.kind == "callback_query") {
        const Json& q = update["callback_query"];
        u.from = sender_of(obj_at(q, "from"));
        chat_of(obj_at(obj_at(q, "message"), "chat"), u);
        u.callback_id = str_at(q, "id", 128);
        u.callback_data = str_at(q, "data", 64);
    } else if (u.kind == "my_chat_member") {
        const Json& m = update["my_chat_member"];
        u.from = sender_of(obj_at(m, "from"));
        chat_of(obj_at(m, "chat"), u);
        u.member_status = str_at(obj_at(m, "new_chat_member"), "status", 32);
    }
    return u;
}

}  // namespace pnptv
