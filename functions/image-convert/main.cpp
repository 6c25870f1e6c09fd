// image-convert — decodes one uploaded image and writes its WebP renditions. Not a FastCGI
// function: common/images.cpp runs it once per upload, in its own process under CPU, memory and
// time limits, so the ~120 libraries libvips loads never touch the functions' start-up, and a
// hostile file that crashes or hangs a decoder takes down only this process.
//
//   image-convert --max-pixels N FORMAT OUT_DIR NAME:WIDTHxHEIGHT:cover|fit …  < image bytes
//
// FORMAT is what the caller found in the magic bytes (jpeg, png, webp, gif); only that loader is
// used. Prints one JSON line: {"width":…,"height":…} of the source, or {"error":CODE,"message":…}
// with exit status 2 for a file that is not an acceptable image.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include <vips/vips.h>

#if defined(__SANITIZE_ADDRESS__)
// libvips keeps process-lifetime caches and type tables it never frees: not leaks of ours, and
// the sanitizer build of this helper must still answer like the real one.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

namespace {

struct Rendition {
    std::string name;
    int width = 0, height = 0;
    bool cover = false;
};

int refuse(const char* code, const std::string& message) {
    std::string clean;
    for (char c : message) clean += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
    std::printf("{\"error\":\"%s\",\"message\":\"%s\"}\n", code, clean.substr(0, 300).c_str());
    return 2;
}

bool parse_rendition(std::string_view spec, Rendition& r) {
    auto colon = spec.find(':'), last = spec.rfind(':');
    if (colon == std::string_view::npos || last == colon) return false;
    r.name = std::string(spec.substr(0, colon));
    std::string size(spec.substr(colon + 1, last - colon - 1));
    std::string mode(spec.substr(last + 1));
    if (r.name.empty() || r.name.find('/') != std::string::npos || r.name[0] == '.') return false;
    if (std::sscanf(size.c_str(), "%dx%d", &r.width, &r.height) != 2 || r.width < 1 || r.height < 1 || r.width > 4096 || r.height > 4096)
        return false;
    r.cover = mode == "cover";
    return r.cover || mode == "fit";
}

std::string read_all_stdin() {
    std::string data;
    char buf[65536];
    for (ssize_t n; (n = read(0, buf, sizeof buf)) != 0;) {
        if (n < 0) return {};
        data.append(buf, static_cast<size_t>(n));
    }
    return data;
}

// The WebP without its EXIF, XMP and ICC chunks (and their flags in VP8X): no camera data,
// location or comment travels with a published picture. libvips 8.14's webpsave writes an EXIF
// chunk even when told to strip. Empty when the file isn't the RIFF/WEBP it should be.
std::string without_metadata(const std::string& in) {
    if (in.size() < 12 || in.compare(0, 4, "RIFF") != 0 || in.compare(8, 4, "WEBP") != 0) return {};
    std::string out = in.substr(0, 12);
    for (size_t at = 12; at + 8 <= in.size();) {
        const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(in[i])); };
        const uint32_t size = byte(at + 4) | byte(at + 5) << 8 | byte(at + 6) << 16 | byte(at + 7) << 24;
        const size_t end = at + 8 + size + (size & 1);
        if (end > in.size()) return {};
        const std::string fourcc = in.substr(at, 4);
        if (fourcc != "EXIF" && fourcc != "XMP " && fourcc != "ICCP") {
            std::string chunk = in.substr(at, end - at);
            if (fourcc == "VP8X" && chunk.size() > 8) chunk[8] = static_cast<char>(chunk[8] & ~0x2C);  // ICC, EXIF, XMP flags
            out += chunk;
        }
        at = end;
    }
    const uint32_t riff = static_cast<uint32_t>(out.size() - 8);
    for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((riff >> (8 * i)) & 0xFF);
    return out;
}

bool known_format(std::string_view format) { return format == "jpeg" || format == "png" || format == "webp" || format == "gif"; }

// The header through the one loader the magic bytes named (pixels are decoded only when asked).
int load_header(std::string_view format, std::string& input, VipsImage** out) {
    void* buf = input.data();
    const size_t len = input.size();
    const auto sequential = VIPS_ACCESS_SEQUENTIAL;
    if (format == "jpeg") return vips_jpegload_buffer(buf, len, out, "access", sequential, nullptr);
    if (format == "png") return vips_pngload_buffer(buf, len, out, "access", sequential, nullptr);
    if (format == "webp") return vips_webpload_buffer(buf, len, out, "access", sequential, nullptr);
    return vips_gifload_buffer(buf, len, out, "access", sequential, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "--routes") == 0) {
        std::puts("helper");  // run by other functions, never spawned by the stack
        return 0;
    }
    if (argc >= 2 && std::strcmp(argv[1], "--settings") == 0) return 0;  // none: its caller passes its limits
    if (argc < 6 || std::strcmp(argv[1], "--max-pixels") != 0) {
        std::fputs("usage: image-convert --max-pixels N FORMAT OUT_DIR NAME:WxH:cover|fit … < image\n", stderr);
        return 64;
    }
    const long long max_pixels = std::atoll(argv[2]);
    const std::string format = argv[3], out_dir = argv[4];
    std::vector<Rendition> renditions;
    for (int i = 5; i < argc; ++i) {
        Rendition r;
        if (!parse_rendition(argv[i], r)) {
            std::fprintf(stderr, "image-convert: bad rendition %s\n", argv[i]);
            return 64;
        }
        renditions.push_back(r);
    }
    if (!known_format(format) || max_pixels < 1) return 64;

    if (VIPS_INIT(argv[0])) return 1;
    vips_block_untrusted_set(TRUE);  // never the loaders libvips itself calls unsafe for hostile input
    vips_cache_set_max(0);
    vips_concurrency_set(1);

    std::string input = read_all_stdin();
    if (input.empty()) return refuse("empty_file", "The file is empty.");

    // The header alone first: a file declaring more pixels than allowed is refused before a
    // single pixel is decoded (a decompression bomb declares billions).
    VipsImage* header = nullptr;
    if (load_header(format, input, &header) != 0 || !header)
        return refuse("unreadable_image", vips_error_buffer());
    const long long width = vips_image_get_width(header), height = vips_image_get_height(header);
    g_object_unref(header);
    if (width < 1 || height < 1 || width * height > max_pixels)
        return refuse("too_many_pixels", "The image is " + std::to_string(width) + "x" + std::to_string(height) +
                                             "; at most " + std::to_string(max_pixels) + " pixels are accepted.");

    for (const auto& r : renditions) {
        VipsImage* thumb = nullptr;
        // Shrinks while loading where the format allows, applies the EXIF orientation, and stops
        // at a truncated or corrupt file instead of filling it with grey.
        // A cover crop fills its square even from a smaller picture; a fitted one never grows.
        if (vips_thumbnail_buffer(input.data(), input.size(), &thumb, r.width, "height", r.height,
                                  "size", r.cover ? VIPS_SIZE_BOTH : VIPS_SIZE_DOWN,
                                  "crop", r.cover ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE,
                                  "option_string", "fail_on=truncated", nullptr) != 0)
            return refuse("undecodable_image", vips_error_buffer());
        void* out = nullptr;
        size_t out_len = 0;
        int failed = vips_webpsave_buffer(thumb, &out, &out_len, "Q", 82, "strip", TRUE, nullptr);
        g_object_unref(thumb);
        if (failed) return refuse("undecodable_image", vips_error_buffer());
        const std::string webp = without_metadata(std::string(static_cast<const char*>(out), out_len));
        const std::string path = out_dir + "/" + r.name + ".webp";
        FILE* f = std::fopen(path.c_str(), "wbx");
        bool written = f && !webp.empty() && std::fwrite(webp.data(), 1, webp.size(), f) == webp.size();
        if (f && std::fclose(f) != 0) written = false;
        g_free(out);
        if (!written) {
            std::fprintf(stderr, "image-convert: can't write %s: %s\n", path.c_str(), std::strerror(errno));
            return 1;
        }
    }
    std::printf("{\"width\":%lld,\"height\":%lld}\n", width, height);
    vips_shutdown();
    return 0;
}
