// cursor.hpp — keyset pagination: a page ends with an opaque cursor naming its last row's
// (created_at, id); the next page is the rows strictly before it, newest first. No OFFSET, so a
// page deep in a list costs what the first one does.
//
// In SQL the position is compared as
//   (t.created_at, t.id) < (timestamptz 'epoch' + $n::bigint * interval '1 microsecond', $m)
// with the time as whole microseconds since the epoch (keyset_micros_sql reads it back), so no
// rounding ever skips or repeats a row.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"

namespace pnptv {

struct Cursor {
    long long micros = 0;  // created_at, microseconds since 1970
    long long id = 0;
};

// The select-list expression for a row's cursor time: `keyset_micros_sql("p.created_at")`.
std::string keyset_micros_sql(std::string_view column);
std::string encode_cursor(const Cursor& c);
// The request's `cursor` query parameter: nullopt when absent, 400 when malformed.
std::optional<Cursor> cursor_param(const Request& request);

// A page: {"items":[…],"next_cursor":…}; `next` is the last item's position when more rows follow
// (fetch LIMIT page size + 1 to know), null at the end of the list.
Json page_json(Json items, const std::optional<Cursor>& next);

}  // namespace pnptv
