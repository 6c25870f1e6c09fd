// libFuzzer target for the multipart parser (make fuzz). The first byte picks a chunk size, so
// the same body is also fed in pieces; the parser must only ever answer or throw HttpError 400/413.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const size_t chunk = 1 + data[0] % 64;
    std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        pnptv::MultipartParser parser("XyZ", {4, 256, 64 * 1024});
        while (!body.empty()) {
            parser.feed(body.substr(0, chunk));
            body.remove_prefix(std::min(chunk, body.size()));
        }
        for (const auto& part : parser.finish())
            if (part.name.empty()) std::abort();  // a part is never nameless
    } catch (const pnptv::HttpError& e) {
        if (e.status != 400 && e.status != 413) std::abort();
    }
    return 0;
}
