#include "handler.hpp"

#include "audit.hpp"
#include "authz.hpp"
#include "bans.hpp"
#include "cursor.hpp"
#include "fields.hpp"
#include "people.hpp"
#include "text.hpp"

namespace admin {

using namespace pnptv;

namespace {

constexpr int page_size = 50, max_page_size = 200;

const std::string user_sql = "SELECT " + std::string(person_columns) + ", " + keyset_micros_sql("u.created_at") +
                             " AS at_micros, u.telegram_id, u.role, u.tier, u.language, u.banned_at IS NOT NULL AS banned, u.ban_reason, "
                             "to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at FROM users u "
                             "WHERE u.deleted_at IS NULL";

Json user_json(const PgResult& r, int i) {
    Json j = person_json(r, i);
    j["telegram_id"] = r.get_int(i, "telegram_id");
    j["role"] = r.get(i, "role");
    j["tier"] = r.get(i, "tier");
    j["language"] = r.get(i, "language");
    j["banned"] = r.get_bool(i, "banned");
    j["ban_reason"] = r.get_opt(i, "ban_reason") ? Json(*r.get_opt(i, "ban_reason")) : Json(nullptr);
    j["created_at"] = r.get(i, "created_at");
    return j;
}

// ?q= a Telegram id (digits), or part of a username or name (case-insensitive); newest first.
Response search(const Settings& s, const Request& request, const PathParams&) {
    require_admin(s.web, request);
    const int limit = page_limit(request, page_size, max_page_size);
    auto [at, key] = cursor_params(cursor_param(request));
    std::optional<std::string> pattern;
    std::optional<long long> telegram_id;
    if (auto q = find_value(request.query, "q"); q && !q->empty()) {
        const std::string text = checked_text(*q, "q", {1, 64});
        telegram_id = parse_id(text);
        std::string escaped;
        for (char c : text) {
            if (c == '%' || c == '_' || c == '\\') escaped.push_back('\\');  // the text is matched literally
            escaped.push_back(c);
        }
        pattern = "%" + escaped + "%";
    }
    auto r = db().exec(user_sql +
                           " AND ($1::text IS NULL OR u.telegram_id = $2 OR u.username ILIKE $1 OR u.first_name ILIKE $1 "
                           "OR u.display_name ILIKE $1) AND " + keyset_after_sql("u.created_at", "u.id", 3) +
                           " ORDER BY u.created_at DESC, u.id DESC LIMIT $5",
                       {pattern, telegram_id.value_or(0), at, key, limit + 1});
    return Response::json(200, keyset_page(r, limit, "person_id", user_json));
}

long long target_id(const PathParams& params) {
    auto id = parse_id(find_value(params, "id").value_or(""));
    if (!id || db().exec("SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL", {*id}).rows() == 0)
        throw HttpError(404, "not_found", "No such person.");
    return *id;
}

Response user_answer(long long id) { return Response::json(200, {{"user", user_json(db().exec(user_sql + " AND u.id = $1", {id}), 0)}}); }

// Through the one ban path (common/bans): the row, the audit, the guard's record, every session.
Response ban(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = target_id(params);
    Json body = request.body.empty() ? Json::object() : parse_json_object(request);
    reject_unknown_fields(body, {"reason"});
    const std::string reason = text_field(body, "reason", {0, 500, true}).value_or("");
    if (id == me.user_id) throw HttpError(422, "cannot_ban_self", "Admins can't ban themselves.");
    set_ban(id, true, reason, me.user_id, {{"by", "admin api"}});
    return user_answer(id);
}

Response unban(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = target_id(params);
    set_ban(id, false, "", me.user_id, {{"by", "admin api"}});
    return user_answer(id);
}

Response set_role(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = target_id(params);
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"role"});
    auto role = choice_field(body, "role", {"user", "admin"});
    if (!role) throw HttpError(422, "missing_field", "role is required.", "role");
    if (id == me.user_id && *role != "admin") throw HttpError(422, "cannot_demote_self", "Ask another admin to change your own role.");
    db().transaction([&] {
        const std::string before = db().exec("SELECT role FROM users WHERE id = $1 FOR UPDATE", {id}).get(0, "role");
        if (before == *role) return;
        db().exec("UPDATE users SET role = $2 WHERE id = $1", {id, *role});  // the users trigger tells the guard
        audit(me.user_id, "user.role", "user", std::to_string(id), {{"before", {{"role", before}}}, {"after", {{"role", *role}}}});
    });
    project_users_now({id});
    return user_answer(id);
}

Response audit_trail(const Settings& s, const Request& request, const PathParams&) {
    require_admin(s.web, request);
    const int limit = page_limit(request, page_size, max_page_size);
    auto [at, key] = cursor_params(cursor_param(request));
    auto r = db().exec("SELECT a.id, " + keyset_micros_sql("a.created_at") +
                           " AS at_micros, a.actor_user_id, a.action, a.subject_type, a.subject_id, a.details::text AS details, "
                           "to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at FROM audit_log a WHERE " +
                           keyset_after_sql("a.created_at", "a.id", 1) + " ORDER BY a.created_at DESC, a.id DESC LIMIT $3",
                       {at, key, limit + 1});
    return Response::json(200, keyset_page(r, limit, "id", [](const PgResult& rows, int i) {
        auto opt = [&](const char* c) { return rows.get_opt(i, c) ? Json(*rows.get_opt(i, c)) : Json(nullptr); };
        return Json{{"id", rows.get_int(i, "id")},
                    {"actor_user_id", rows.get_opt(i, "actor_user_id") ? Json(rows.get_int(i, "actor_user_id")) : Json(nullptr)},
                    {"action", rows.get(i, "action")}, {"subject_type", opt("subject_type")}, {"subject_id", opt("subject_id")},
                    {"details", Json::parse(rows.get(i, "details"), nullptr, false)}, {"created_at", rows.get(i, "created_at")}};
    }));
}

const RoutePolicy api = body(0).limit("pnptv_api:50");
const std::string user_path = std::string(users_path) + "/:id";
const Router<Settings> routes({
    {"GET", std::string(users_path), search, api},
    {"POST", user_path + "/ban", ban, api.body(4096)},
    {"POST", user_path + "/unban", unban, api},
    {"PUT", user_path + "/role", set_role, api.body(1024)},
    {"GET", std::string(audit_path), audit_trail, api},
});

}  // namespace

Settings Settings::read(SettingsReader& r) { return {DatabaseSettings::read(r), RedisSettings::read(r), WebSettings::read(r)}; }

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("admin", routes);
    return f;
}

}  // namespace admin
