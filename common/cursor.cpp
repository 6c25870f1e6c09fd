#include "cursor.hpp"

#include "crypto.hpp"
#include "text.hpp"

namespace pnptv {

std::string keyset_micros_sql(std::string_view column) {
    return "(extract(epoch FROM " + std::string(column) + ") * 1000000)::bigint";
}

std::string encode_cursor(const Cursor& c) {
    return base64_encode(std::to_string(c.micros) + "." + std::to_string(c.id), Base64::url, false);
}

std::optional<Cursor> cursor_param(const Request& request, std::string_view name) {
    auto raw = find_value(request.query, name);
    if (!raw) return std::nullopt;
    const HttpError bad(400, "invalid_cursor", "The cursor is not one this list gave out.", std::string(name));
    if (raw->size() > 64) throw bad;
    auto text = base64_decode(*raw);
    if (!text) throw bad;
    auto dot = text->find('.');
    if (dot == std::string::npos) throw bad;
    auto micros = parse_id(std::string_view(*text).substr(0, dot)), id = parse_id(std::string_view(*text).substr(dot + 1));
    if (!micros || !id) throw bad;
    return Cursor{*micros, *id};
}

std::string keyset_after_sql(std::string_view time_column, std::string_view id_column, int param) {
    const std::string t = "$" + std::to_string(param) + "::bigint", id = "$" + std::to_string(param + 1) + "::bigint";
    return "(" + t + " IS NULL OR (" + std::string(time_column) + ", " + std::string(id_column) + ") < (timestamptz 'epoch' + " + t +
           " * interval '1 microsecond', " + id + "))";
}

std::pair<PgParam, PgParam> cursor_params(const std::optional<Cursor>& cursor) {
    if (!cursor) return {PgParam(std::nullopt), PgParam(0LL)};
    return {PgParam(cursor->micros), PgParam(cursor->id)};
}

}  // namespace pnptv
