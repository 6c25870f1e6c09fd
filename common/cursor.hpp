// cursor.hpp — keyset pagination: a page ends with an opaque cursor naming its last row's
// (created_at, id); the next page is the rows strictly before it, newest first. No OFFSET, so a
// page deep in a list costs what the first one does.
//
// In SQL the position is compared as
//   (t.created_at, t.id) < (timestamptz 'epoch' + $n::bigint * interval '1 microsecond', $m)
// (keyset_after_sql) with the time as whole microseconds since the epoch (keyset_micros_sql reads
// it back), so no rounding ever skips or repeats a row, and rows of one instant go by id.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"
#include "pg.hpp"

namespace pnptv {

struct Cursor {
    long long micros = 0;  // created_at, microseconds since 1970
    long long id = 0;
};

// The select-list expression for a row's cursor time: `keyset_micros_sql("p.created_at")`.
std::string keyset_micros_sql(std::string_view column);
std::string encode_cursor(const Cursor& c);
// The request's `cursor` query parameter (or another name: chat history's `before`): nullopt
// when absent, 400 when malformed.
std::optional<Cursor> cursor_param(const Request& request, std::string_view name = "cursor");

// "rows strictly after the cursor, newest first" over (time_column, id_column), the cursor's time
// and id being parameters $param and $param+1 (cursor_params); no cursor (NULL): every row.
std::string keyset_after_sql(std::string_view time_column, std::string_view id_column, int param);
// The two parameters keyset_after_sql expects.
std::pair<PgParam, PgParam> cursor_params(const std::optional<Cursor>& cursor);

// A page {"items":[…],"next_cursor":…} of rows fetched with LIMIT limit + 1 (the extra one only
// says more follow) that select keyset_micros_sql(…) AS at_micros and their key as `key_column`:
// each of the first `limit` rows through item(r, row); the next cursor is the last of them, or
// null at the end of the list.
template <class Item>
Json keyset_page(const PgResult& r, int limit, std::string_view key_column, Item item) {
    Json items = Json::array();
    for (int i = 0; i < r.rows() && i < limit; ++i) items.push_back(item(r, i));
    Json next = nullptr;
    if (r.rows() > limit) next = encode_cursor({r.get_int(limit - 1, "at_micros"), r.get_int(limit - 1, key_column)});
    return {{"items", std::move(items)}, {"next_cursor", std::move(next)}};
}

}  // namespace pnptv
