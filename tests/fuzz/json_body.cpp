// libFuzzer target for JSON request bodies: parse_json_object (common/http) and the field readers
// every route's body goes through (common/fields: reject_unknown_fields, text_field, choice_field,
// flag_field, count_field, checked_text), run on one body for every route that reads JSON.
//
// The routes' validation is written inline in their handlers, between the session check and the
// first query, so it can't be called without a database: the table below repeats each route's
// field names, rules and own checks as its handler has them (functions/<name>/handler.cpp). A rule
// changed there and not here makes this target less exact, not wrong: the readers' contracts hold
// for any rule. The first byte picks the Content-Type (mostly application/json), the second the
// clock and whether the payment link is re-signed; the rest is the body. Contracts:
// - parse_json_object answers a JSON object, or throws 415 for another media type and 400 else;
// - a route's validation answers or throws 400/422 (403 for a payment link) naming a field it
//   read, or an unknown field (the first 64 bytes of its name), and the error renders as JSON;
// - past reject_unknown_fields every name is known; a reader answers nullopt only for an absent
//   field; its text is valid UTF-8, trimmed, free of control characters, within its length in
//   code points, and checked_text leaves it unchanged; a choice is one of its choices and a
//   count within its range;
// - a payment link the handler would accept carries the signature we would make, and one we
//   sign is accepted; a Telegram login it accepts is signed with the bot's token.
#include <limits>
#include <vector>

#include "crypto.hpp"
#include "fields.hpp"
#include "fuzz.hpp"
#include "hangouts.hpp"
#include "payment_link.hpp"
#include "telegram_auth.hpp"
#include "text.hpp"

using namespace pnptv;

namespace {

constexpr std::string_view bot_token = "123456:TEST-TOKEN-abc";
const Secret link_secret("link-secret");
long long now = 1700000000;  // per input, from its second byte
bool resign_links = false;

// The fields a route's validation has named so far: an error must name one of them.
std::vector<std::string>& asked() {
    static std::vector<std::string> names;
    return names;
}

void known(const Json& body, std::initializer_list<std::string_view> names) {
    for (auto n : names) asked().emplace_back(n);
    reject_unknown_fields(body, names);
    for (const auto& [name, _] : body.items()) {
        bool found = false;
        for (auto n : names) found = found || n == name;
        FUZZ_REQUIRE(found);
    }
}

[[noreturn]] void missing(const char* field, const char* message) {
    throw HttpError(422, "missing_field", message, field);
}

std::optional<std::string> text(const Json& body, const char* field, TextRule rule) {
    asked().emplace_back(field);
    auto v = text_field(body, field, rule);
    FUZZ_REQUIRE(v.has_value() == body.contains(field));
    if (!v) return v;
    const std::string& sent = body[field].get_ref<const std::string&>();
    FUZZ_REQUIRE(is_valid_utf8(*v));
    const size_t n = code_points(*v);
    FUZZ_REQUIRE(n >= rule.min_chars && n <= rule.max_chars);
    FUZZ_REQUIRE(!has_control_chars(*v, rule.prose));
    FUZZ_REQUIRE(trim_unicode(*v) == *v);
    if (rule.prose) FUZZ_REQUIRE(v->find('\r') == std::string::npos);
    else FUZZ_REQUIRE(sent.find(*v) != std::string::npos);
    FUZZ_REQUIRE(checked_text(*v, field, rule) == *v);
    return v;
}

std::optional<std::string> choice(const Json& body, const char* field, std::initializer_list<std::string_view> allowed) {
    asked().emplace_back(field);
    auto v = choice_field(body, field, allowed);
    FUZZ_REQUIRE(v.has_value() == body.contains(field));
    if (v) {
        bool found = false;
        for (auto a : allowed) found = found || a == *v;
        FUZZ_REQUIRE(found);
    }
    return v;
}

std::optional<bool> flag(const Json& body, const char* field) {
    asked().emplace_back(field);
    auto v = flag_field(body, field);
    FUZZ_REQUIRE(v.has_value() == body.contains(field));
    if (v) FUZZ_REQUIRE(*v == body[field].get<bool>());
    return v;
}

std::optional<long long> count(const Json& body, const char* field, long long min, long long max) {
    asked().emplace_back(field);
    auto v = count_field(body, field, min, max);
    FUZZ_REQUIRE(v.has_value() == body.contains(field));
    if (v) FUZZ_REQUIRE(*v >= min && *v <= max);
    return v;
}

std::string required_string(const Json& body, const char* field) {
    asked().emplace_back(field);
    if (!body.contains(field) || !body[field].is_string())
        throw HttpError(400, "missing_field", std::string(field) + " (a string) is required.", field);
    return body[field].get<std::string>();
}

constexpr long long id_max = std::numeric_limits<long long>::max();

struct BodyRoute {
    const char* route;
    bool empty_is_object;  // the handler reads an empty body as {}
    void (*validate)(const Json&);
};

// Each route's body, as its handler reads it.
const BodyRoute routes[] = {
    {"POST /api/webapp/admin/users/:id/ban", true, [](const Json& b) {
         known(b, {"reason"});
         text(b, "reason", {0, 500, true});
     }},
    {"PUT /api/webapp/admin/users/:id/role", false, [](const Json& b) {
         known(b, {"role"});
         if (!choice(b, "role", {"user", "admin"})) missing("role", "role is required.");
     }},
    {"POST /api/webapp/admin/users/:id/subscription", false, [](const Json& b) {
         known(b, {"plan_id", "days", "reason"});
         auto plan = text(b, "plan_id", {1, 64});
         auto days = count(b, "days", 1, 3650);
         text(b, "reason", {0, 500, true});
         if (!plan && !days) missing("plan_id", "Give plan_id, days, or both.");
     }},
    {"POST /api/webapp/admin/broadcasts", false, [](const Json& b) {
         known(b, {"text", "tier", "language"});
         auto t = text(b, "text", {1, 4096, true});
         if (!t) missing("text", "text is required.");
         size_t units = 0;
         for (unsigned char c : *t) units += (c & 0xC0) == 0x80 ? 0 : c >= 0xF0 ? 2 : 1;
         if (units > 4096) throw HttpError(422, "invalid_length", "text must fit Telegram's 4,096 characters.", "text");
         choice(b, "tier", {"free", "prime"});
         choice(b, "language", {"en", "es"});
     }},
    {"POST /api/webapp/chat/:room/messages", false, [](const Json& b) {
         known(b, {"body"});
         if (!text(b, "body", {1, 1000, false})) throw HttpError(422, "invalid_length", "body must be 1 to 1000 characters.", "body");
     }},
    {"POST /api/webapp/chat/:room/mutes", false, [](const Json& b) {
         known(b, {"user_id", "minutes", "reason"});
         if (!count(b, "user_id", 1, id_max)) missing("user_id", "user_id is required.");
         if (!count(b, "minutes", 1, 30LL * 24 * 60)) missing("minutes", "minutes is required (1 to 43200).");
         text(b, "reason", {0, 500, false});
     }},
    {"POST /api/webapp/hangouts/rooms", true, [](const Json& b) {
         known(b, {"name"});
         if (auto name = text(b, "name", {1, 32, false})) {
             const std::string lower = to_lower(*name);
             if (!valid_hangout_name(lower)) throw HttpError(422, "invalid_field", "name may hold only a-z, 0-9, _ and -.", "name");
             FUZZ_REQUIRE(code_points(*name) == name->size());  // a valid name is ASCII
         }
     }},
    {"POST /api/webapp/hangouts/join", false, [](const Json& b) {
         known(b, {"invite"});
         if (!text(b, "invite", {1, 128, false})) missing("invite", "invite is required.");
     }},
    {"POST /api/webapp/hangouts/rooms/:id/members", false, [](const Json& b) {
         known(b, {"user_id"});
         if (!count(b, "user_id", 1, id_max)) missing("user_id", "user_id is required.");
     }},
    {"POST /api/webapp/live/streams", true, [](const Json& b) {
         known(b, {"title", "prime_only"});
         text(b, "title", {1, 200, false});
         flag(b, "prime_only");
     }},
    {"POST /api/payment/donations", false, [](const Json& b) {
         known(b, {"stream_id", "amount", "currency", "message"});
         if (!count(b, "stream_id", 1, id_max)) missing("stream_id", "stream_id is required.");
         asked().emplace_back("amount");
         std::string amount;
         if (b.contains("amount") && b["amount"].is_number_integer()) amount = std::to_string(b["amount"].get<long long>());
         else if (b.contains("amount") && b["amount"].is_string() && is_decimal(b["amount"].get<std::string>())) amount = b["amount"];
         else throw HttpError(422, "invalid_field", "amount must be one of the amounts offered for the currency.", "amount");
         FUZZ_REQUIRE(!amount.empty());
         if (!choice(b, "currency", {"USD", "COP"})) missing("currency", "currency is required.");
         text(b, "message", {1, 140, false});
     }},
    {"POST /api/payment/create-subscription", false, [](const Json& b) {
         if (required_string(b, "plan_id").size() > 64)
             throw HttpError(400, "missing_field", "plan_id (a string) is required.", "plan_id");
     }},
    {"POST /api/payment/checkout", false, [](const Json& b) {
         std::string u = required_string(b, "u"), p = required_string(b, "p");
         std::string exp = required_string(b, "exp"), sig = required_string(b, "sig");
         const auto user = parse_id(u), expires = parse_id(exp);
         if (resign_links && user && expires)
             sig = to_hex(hmac_sha256(link_secret.reveal(), std::to_string(*user) + "|" + p + "|" + std::to_string(*expires)));
         const bool shaped = user && expires && !p.empty() && p.size() <= 64 && sig.size() == 64;
         const bool valid = shaped && payment_link_valid(link_secret, *user, p, *expires, sig);
         if (shaped) {
             const std::string ours = to_hex(hmac_sha256(link_secret.reveal(), std::to_string(*user) + "|" + p + "|" + std::to_string(*expires)));
             FUZZ_REQUIRE(valid == (to_lower(sig) == ours));
             FUZZ_REQUIRE(payment_link_signature(link_secret, *user, p, *expires) == ours);
             if (resign_links) FUZZ_REQUIRE(valid);
         }
         if (!valid) throw HttpError(403, "invalid_payment_link", "This payment link is not valid.");
     }},
    {"PATCH /api/webapp/profile", false, [](const Json& b) {
         known(b, {"display_name", "bio", "language", "visibility"});
         text(b, "display_name", {1, 64});
         text(b, "bio", {0, 500, true});
         choice(b, "language", {"en", "es"});
         choice(b, "visibility", {"public", "members", "private"});
     }},
    {"POST /api/webapp/social/posts", false, [](const Json& b) {
         known(b, {"body", "visibility"});
         if (!text(b, "body", {1, 2000, true})) throw HttpError(422, "invalid_length", "body must be 1 to 2000 characters.", "body");
         choice(b, "visibility", {"public", "members", "prime"});
     }},
    {"POST /api/webapp/social/posts/:id/comments", false, [](const Json& b) {
         known(b, {"body"});
         if (!text(b, "body", {1, 1000, true})) throw HttpError(422, "invalid_length", "body must be 1 to 1000 characters.", "body");
     }},
    {"POST /api/webapp/videos", false, [](const Json& b) {
         known(b, {"title", "description_en", "description_es", "duration_seconds", "category", "prime_only", "file_path", "published"});
         auto title = text(b, "title", {1, 200});
         text(b, "description_en", {0, 5000, true});
         text(b, "description_es", {0, 5000, true});
         count(b, "duration_seconds", 0, 86400);
         auto category = text(b, "category", {1, 32});
         if (category && (!only_chars(*category, "-", true) || *category != to_lower(*category) || category->front() == '-'))
             throw HttpError(422, "invalid_field", "category is lower-case letters, digits and -.", "category");
         flag(b, "prime_only");
         flag(b, "published");
         auto path = text(b, "file_path", {1, 255});
         for (auto [present, name] : {std::pair{title.has_value(), "title"}, {category.has_value(), "category"}, {path.has_value(), "file_path"}})
             if (!present) throw HttpError(422, "missing_field", std::string(name) + " is required.", name);
     }},
    {"POST /api/webapp/auth/telegram", false, [](const Json& b) {
         auto fields = login_fields_from_json(b);
         if (!fields) throw HttpError(400, "invalid_login_fields", "Login fields must be strings or whole numbers.");
         FUZZ_REQUIRE(fields->size() == b.size() && fields->size() <= 32);
         for (const auto& [k, v] : *fields) FUZZ_REQUIRE(b[k].is_string() ? b[k].get<std::string>() == v : b[k].dump() == v);
         const TelegramAuth auth = verify_login_widget(*fields, bot_token, now, 86400);
         if (auth.result != TelegramAuthResult::ok) return;
         // Only what the bot's token signed logs anyone in.
         FUZZ_REQUIRE(to_lower(*find_value(*fields, "hash")) == to_hex(hmac_sha256(sha256(bot_token), data_check_string(*fields))));
         FUZZ_REQUIRE(auth.user.id > 0 && auth.user.auth_date <= now + 60 && now - auth.user.auth_date <= 86400);
     }},
    {"POST /api/webapp/auth/webapp", false, [](const Json& b) {
         const std::string init = required_string(b, "initData");
         if (init.empty() || init.size() > 4096) throw HttpError(400, "invalid_field", "initData is empty or too long.", "initData");
         const TelegramAuth auth = verify_webapp_init_data(init, bot_token, now, 86400);
         if (auth.result == TelegramAuthResult::ok) FUZZ_REQUIRE(auth.user.id > 0);
     }},
};

// An error names what it is about, and renders as the JSON the runtime sends.
void check_error(const HttpError& e, const Json& body, bool link_route) {
    FUZZ_REQUIRE(e.status == 400 || e.status == 422 || (link_route && e.status == 403));
    if (e.code == "unknown_field") {
        bool named = false;
        for (const auto& [name, _] : body.items()) {
            bool is_known = false;
            for (const auto& a : asked()) is_known = is_known || a == name;
            named = named || (!is_known && name.substr(0, 64) == e.field);
        }
        FUZZ_REQUIRE(named);
    } else if (!e.field.empty()) {
        bool named = false;
        for (const auto& a : asked()) named = named || a == e.field;
        FUZZ_REQUIRE(named);
    }
    const Response r = error_response(e);
    FUZZ_REQUIRE(r.status == e.status);
    const Json rendered = Json::parse(r.body, nullptr, false);
    FUZZ_REQUIRE(rendered.is_object() && rendered["error"]["code"] == e.code);
    FUZZ_REQUIRE(rendered["error"].contains("field") == !e.field.empty());
}

const char* const content_types[] = {"application/json",       "application/json; charset=utf-8", " Application/JSON ;x=1",
                                     "application/json",       "text/plain",                      "application/jsonx",
                                     "application/json",       ""};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    const char* content_type = content_types[in.byte() % 8];
    const uint8_t clock = in.byte();
    now = 1700000000 + (clock & 0x7F) * 1000 - 100;
    resign_links = clock & 0x80;
    Request request;
    if (*content_type) request.headers.emplace_back("content-type", content_type);
    request.body = std::string(in.rest());

    const bool json_type = request.media_type() == "application/json";
    Json body;
    try {
        body = parse_json_object(request);
        FUZZ_REQUIRE(json_type && body.is_object());
    } catch (const HttpError& e) {
        FUZZ_REQUIRE(e.status == (json_type ? 400 : 415));
        if (!request.body.empty()) return 0;
        body = Json::object();  // routes that take an empty body as {}
    }
    const bool empty = request.body.empty();
    for (const BodyRoute& route : routes) {
        if (empty && !route.empty_is_object) continue;
        asked().clear();
        try {
            route.validate(body);
        } catch (const HttpError& e) {
            check_error(e, body, std::string_view(route.route) == "POST /api/payment/checkout");
        }
    }
    // A query's text (the admin search) meets checked_text as raw bytes: 400 exactly when not UTF-8.
    try {
        const std::string q = checked_text(request.body, "q", {1, 64});
        FUZZ_REQUIRE(is_valid_utf8(q) && code_points(q) >= 1 && code_points(q) <= 64);
    } catch (const HttpError& e) {
        FUZZ_REQUIRE((e.status == 400) == !is_valid_utf8(request.body) && e.field == "q");
    }
    return 0;
}
