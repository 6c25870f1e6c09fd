// multipart.hpp — a bounded, streaming multipart/form-data parser (RFC 7578 over RFC 2046).
//
// Fed the body in chunks of any size; holds at most the parts' own bytes plus one delimiter's
// length of look-ahead, and refuses as soon as a limit is crossed: more parts than allowed, a
// part's headers longer than allowed, more bytes in total than allowed (413). Anything malformed
// (no boundary, a part without Content-Disposition form-data; name=…, a header line without a
// colon, a body that ends before the closing delimiter) is a 400 naming what was wrong. A
// boundary string inside a part's data is data unless it follows CRLF, as the RFC says.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"

namespace pnptv {

struct MultipartLimits {
    size_t max_parts = 4;
    size_t max_header_bytes = 1024;     // one part's header block
    size_t max_total_bytes = 5 << 20;   // the whole body
};

struct MultipartPart {
    std::string name;                  // Content-Disposition name
    std::optional<std::string> filename;  // present for a file part
    std::string content_type;          // as declared (never trusted for files)
    std::string data;
};

// The boundary of a "multipart/form-data; boundary=…" Content-Type; 415 for another type, 400
// when the boundary is missing or not 1–70 of RFC 2046's characters.
std::string multipart_boundary(std::string_view content_type);

class MultipartParser {
public:
    MultipartParser(std::string boundary, MultipartLimits limits);
    void feed(std::string_view chunk);           // throws HttpError 400/413
    std::vector<MultipartPart> finish();         // 400 unless the closing delimiter was seen

private:
    enum class State { preamble, after_delimiter, headers, data, done };
    void step();
    void start_part(std::string_view header_block);

    std::string delimiter_;  // "\r\n--" + boundary
    MultipartLimits limits_;
    State state_ = State::preamble;
    std::string pending_;    // bytes not yet consumed (bounded by the delimiter or the header cap)
    size_t total_ = 0;
    std::vector<MultipartPart> parts_;
};

// The whole request: its Content-Type's boundary, then its body. A file input left empty (what a
// browser sends for it: no filename, no bytes) is no part.
std::vector<MultipartPart> parse_multipart(const Request& request, MultipartLimits limits);

// The form's one file part: nullptr when there is none, 400 `one_file_only` (naming `field`)
// when there are more.
MultipartPart* only_file(std::vector<MultipartPart>& parts, std::string_view field);

}  // namespace pnptv
