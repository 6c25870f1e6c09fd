#include "multipart.hpp"

#include "text.hpp"

namespace pnptv {

namespace {

HttpError malformed(const std::string& what) { return HttpError(400, "malformed_multipart", "The form data is malformed: " + what + "."); }

// One parameter of a header value ("form-data; name=\"a\"; filename=\"b\""): quoted or token.
std::optional<std::string> header_parameter(std::string_view value, std::string_view wanted) {
    size_t at = value.find(';');
    while (at != std::string_view::npos) {
        std::string_view rest = trim(value.substr(at + 1));
        size_t eq = rest.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        std::string_view name = trim(rest.substr(0, eq));
        std::string_view v = rest.substr(eq + 1);
        std::string parsed;
        size_t end;
        if (!v.empty() && v.front() == '"') {
            end = 1;
            for (; end < v.size() && v[end] != '"'; ++end) {
                if (v[end] == '\\' && end + 1 < v.size()) ++end;
                parsed.push_back(v[end]);
            }
            if (end >= v.size()) throw malformed("an unterminated quoted parameter");
            ++end;
        } else {
            end = v.find(';');
            if (end == std::string_view::npos) end = v.size();
            parsed = std::string(trim(v.substr(0, end)));
        }
        if (iequals(name, wanted)) return parsed;
        size_t next = v.find(';', end);
        at = next == std::string_view::npos ? next : static_cast<size_t>(v.data() + next - value.data());
    }
    return std::nullopt;
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
    std::string_view type = trim(content_type.substr(0, content_type.find(';')));
    if (!iequals(type, "multipart/form-data"))
        throw HttpError(415, "unsupported_media_type", "Send the file as multipart/form-data.");
    auto boundary = header_parameter(content_type, "boundary");
    if (!boundary || boundary->empty() || boundary->size() > 70 || boundary->back() == ' ' ||
        !only_chars(*boundary, "'()+_,-./:=? ", true))
        throw HttpError(400, "malformed_multipart", "The multipart boundary is missing or invalid.");
    return *boundary;
}

MultipartParser::MultipartParser(std::string boundary, MultipartLimits limits)
    : delimiter_("\r\n--" + boundary), limits_(limits), pending_("\r\n") {}  // the body's start counts as a line start

void MultipartParser::feed(std::string_view chunk) {
    total_ += chunk.size();
    if (total_ > limits_.max_total_bytes) throw HttpError(413, "body_too_large", "The upload is larger than allowed.");
    if (state_ == State::done) return;  // the epilogue is ignored
    pending_.append(chunk);
    step();
}

void MultipartParser::step() {
    for (;;) {
        switch (state_) {
            case State::preamble:
            case State::data: {
                size_t at = pending_.find(delimiter_);
                if (at == std::string::npos) {
                    // Keep only what could still be the start of a delimiter.
                    size_t keep = std::min(pending_.size(), delimiter_.size() - 1);
                    if (state_ == State::data) parts_.back().data.append(pending_, 0, pending_.size() - keep);
                    pending_.erase(0, pending_.size() - keep);
                    return;
                }
                if (state_ == State::data) parts_.back().data.append(pending_, 0, at);
                pending_.erase(0, at + delimiter_.size());
                state_ = State::after_delimiter;
                break;
            }
            case State::after_delimiter: {
                // "--" closes the body; otherwise optional transport padding, then CRLF.
                if (pending_.size() < 2) return;
                if (pending_.compare(0, 2, "--") == 0) {
                    state_ = State::done;
                    pending_.clear();
                    return;
                }
                size_t crlf = pending_.find("\r\n");
                if (crlf == std::string::npos) {
                    if (pending_.size() > 64) throw malformed("garbage after a boundary");
                    return;
                }
                if (!only_chars(std::string_view(pending_).substr(0, crlf), " \t")) throw malformed("garbage after a boundary");
                pending_.erase(0, crlf + 2);
                if (parts_.size() >= limits_.max_parts) throw HttpError(413, "too_many_parts", "The form has too many parts.");
                state_ = State::headers;
                break;
            }
            case State::headers: {
                size_t end = pending_.find("\r\n\r\n");
                if (pending_.compare(0, 2, "\r\n") == 0) end = 0;  // a part without headers
                if (end == std::string::npos) {
                    if (pending_.size() > limits_.max_header_bytes) throw malformed("a part's headers are too long");
                    return;
                }
                if (end > limits_.max_header_bytes) throw malformed("a part's headers are too long");
                start_part(std::string_view(pending_).substr(0, end));
                pending_.erase(0, end == 0 ? 2 : end + 4);  // the data starts after the blank line
                state_ = State::data;
                break;
            }
            case State::done:
                return;
        }
    }
}

void MultipartParser::start_part(std::string_view block) {
    MultipartPart part;
    bool disposition = false;
    for (std::string_view line : split(block, '\n')) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) throw malformed("a part header without a name");
        std::string_view name = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
        if (iequals(name, "content-disposition")) {
            if (disposition) throw malformed("two Content-Disposition headers in one part");
            disposition = true;
            if (!iequals(trim(value.substr(0, value.find(';'))), "form-data")) throw malformed("a part that is not form-data");
            auto field = header_parameter(value, "name");
            if (!field || field->empty()) throw malformed("a part without a name");
            part.name = *field;
            part.filename = header_parameter(value, "filename");
        } else if (iequals(name, "content-type")) {
            part.content_type = to_lower(value);
        }
    }
    if (!disposition) throw malformed("a part without Content-Disposition");
    parts_.push_back(std::move(part));
}

std::vector<MultipartPart> MultipartParser::finish() {
    if (state_ != State::done) throw malformed("the body ends before its closing boundary");
    return std::move(parts_);
}

std::vector<MultipartPart> parse_multipart(const Request& request, MultipartLimits limits) {
    MultipartParser parser(multipart_boundary(request.header("content-type").value_or("")), limits);
    parser.feed(request.body);
    auto parts = parser.finish();
    std::erase_if(parts, [](const MultipartPart& p) { return p.filename && p.filename->empty() && p.data.empty(); });
    return parts;
}

MultipartPart* only_file(std::vector<MultipartPart>& parts, std::string_view field) {
    MultipartPart* file = nullptr;
    for (auto& p : parts) {
        if (!p.filename) continue;
        if (file) throw HttpError(400, "one_file_only", "Send one file.", std::string(field));
        file = &p;
    }
    return file;
}

}  // namespace pnptv
