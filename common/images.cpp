#include "images.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto.hpp"
#include "log.hpp"
#include "pg.hpp"
#include "text.hpp"

namespace pnptv {

namespace fs = std::filesystem;

namespace {

struct Rendition {
    const char* name;
    int width, height;
    bool cover;  // cropped to exactly width × height; else fitted inside it
};

std::vector<Rendition> renditions(ImageKind kind) {
    switch (kind) {
        case ImageKind::avatar: return {{"512", 512, 512, true}, {"128", 128, 128, true}};
        case ImageKind::post: return {{"1280", 1280, 1280, false}, {"480", 480, 480, false}};
        case ImageKind::poster: return {{"1280", 1280, 720, true}, {"400", 400, 225, true}};
    }
    return {};
}


// A file that is an image and something a browser or interpreter would run (a polyglot: markup
// or script in front of the picture data or after it), refused even though only our re-encoded
// renditions are ever served. Only the first and last KiB are read: compressed picture data in
// between holds any short marker by chance (a 5 MB photo would, about once in a hundred).
bool carries_markup(std::string_view bytes) {
    static constexpr std::string_view markers[] = {"<script", "<html", "<?php", "<svg", "<body", "<iframe", "javascript:", "<!doctype"};
    const size_t edge = 1024;
    std::string ends = to_lower(bytes.substr(0, edge));
    if (bytes.size() > edge) ends += "\n" + to_lower(bytes.substr(bytes.size() - std::min(edge, bytes.size() - edge)));
    for (auto m : markers)
        if (ends.find(m) != std::string::npos) return true;
    return false;
}

// Bytes after a PNG's IEND chunk: an appended second file.
bool png_has_trailer(std::string_view b) {
    size_t at = 8;
    while (at + 12 <= b.size()) {
        const auto u = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(b[i])); };
        const uint32_t length = (u(at) << 24) | (u(at + 1) << 16) | (u(at + 2) << 8) | u(at + 3);
        if (length > b.size()) return false;  // malformed: the decoder will say so
        const size_t end = at + 12 + length;
        if (b.substr(at + 4, 4) == "IEND") return end < b.size();
        at = end;
    }
    return false;
}

std::string hex_dir(const ImageSettings& s, const std::string& hash) { return s.uploads_dir + "/" + hash.substr(0, 2); }

HttpError storage_unavailable() { return HttpError(503, "storage_unavailable", "Uploads can't be stored right now; try again shortly."); }

// A fresh folder under the uploads root (so renames into place stay on one filesystem).
std::string make_staging(const ImageSettings& s) {
    const std::string parent = s.uploads_dir + "/.staging";
    std::error_code ec;
    fs::create_directories(parent, ec);
    std::string pattern = parent + "/XXXXXX";
    if (!mkdtemp(pattern.data())) {
        log_event(LogLevel::error, "uploads_unwritable", {{"dir", parent}, {"errno", std::strerror(errno)}});
        throw storage_unavailable();
    }
    return pattern;
}

// Writers and the release of one hash take turns (a transaction-scoped advisory lock).
void lock_hash(const std::string& hash) { db().exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {hash}); }

struct Outcome {
    int status = -1;   // exit status, or -1 when killed by a signal
    int signal = 0;
    bool timed_out = false;
    std::string output;
};

// Runs the converter on `bytes` with its limits; never throws for what the child does.
Outcome run_converter(const ImageSettings& s, const std::string& format, const std::string& out_dir, ImageKind kind,
                      std::string_view bytes) {
    std::vector<std::string> args = {s.converter, "--max-pixels", std::to_string(s.max_pixels), format, out_dir};
    for (const auto& r : renditions(kind))
        args.push_back(std::string(r.name) + ":" + std::to_string(r.width) + "x" + std::to_string(r.height) + (r.cover ? ":cover" : ":fit"));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    char quiet[] = "VIPS_WARNING=0";
    char* envp[] = {quiet, nullptr};

    const int input = memfd_create("upload", MFD_CLOEXEC);
    int out[2];
    if (input < 0 || pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("image-convert: no memfd or pipe");
    for (size_t done = 0; done < bytes.size();) {
        ssize_t n = write(input, bytes.data() + done, bytes.size() - done);
        if (n <= 0) throw std::runtime_error("image-convert: can't buffer the upload");
        done += static_cast<size_t>(n);
    }
    lseek(input, 0, SEEK_SET);

    const pid_t child = fork();
    if (child < 0) {
        close(input), close(out[0]), close(out[1]);
        throw std::runtime_error("image-convert: fork failed");
    }
    if (child == 0) {
        // Only async-signal-safe calls from here to exec.
        rlimit cpu{static_cast<rlim_t>(s.decode_seconds), static_cast<rlim_t>(s.decode_seconds) + 1};
        setrlimit(RLIMIT_CPU, &cpu);
#if !defined(__SANITIZE_ADDRESS__)  // ASan reserves terabytes of address space up front
        rlimit memory{static_cast<rlim_t>(s.memory_mb) << 20, static_cast<rlim_t>(s.memory_mb) << 20};
        setrlimit(RLIMIT_AS, &memory);
#endif
        rlimit no_core{0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        const int null = open("/dev/null", O_WRONLY);
        if (dup2(input, 0) < 0 || dup2(out[1], 1) < 0 || null < 0 || dup2(null, 2) < 0) _exit(127);
        close_range(3, ~0U, 0);  // nothing of the function's (sockets, files) reaches the decoder
        execve(argv[0], argv.data(), envp);
        _exit(127);
    }
    close(input);
    close(out[1]);

    Outcome o;
    timespec start{};
    clock_gettime(CLOCK_MONOTONIC, &start);
    const long long deadline_ms = (s.decode_seconds + 2) * 1000LL;
    char buf[4096];
    for (;;) {
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        const long long elapsed = (now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= deadline_ms) {
            o.timed_out = true;
            kill(child, SIGKILL);
            break;
        }
        pollfd p{out[0], POLLIN, 0};
        int ready = poll(&p, 1, static_cast<int>(deadline_ms - elapsed));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;
        ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        if (o.output.size() < 4096) o.output.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) o.status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    return o;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

ImageSettings ImageSettings::read(SettingsReader& r) {
    ImageSettings s;
    s.uploads_dir = r.text("UPLOADS_DIR");
    std::error_code ec;
    const std::string self = fs::read_symlink("/proc/self/exe", ec).parent_path().string();
    // Unset: the image-convert installed beside the running binary (every binary shares a folder).
    s.converter = r.optional_text("IMAGE_CONVERTER").value_or(self + "/image-convert");
    s.max_pixels = r.integer("IMAGE_MAX_PIXELS", 40'000'000, 1, 1'000'000'000);
    s.max_bytes = r.integer("IMAGE_MAX_BYTES", 5 * 1024 * 1024, 1024, 64 * 1024 * 1024);
    s.decode_seconds = static_cast<int>(r.integer("IMAGE_DECODE_SECONDS", 10, 1, 120));
    s.memory_mb = r.integer("IMAGE_MEMORY_MB", 1024, 64, 65536);
    if (!r.describing_only() && s.uploads_dir.front() != '/') throw ConfigError("UPLOADS_DIR must be an absolute path");
    return s;
}

std::optional<std::string> sniff_image(std::string_view b) {
    if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF") return "jpeg";
    if (b.size() >= 8 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return "png";
    if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "webp";
    if (b.size() >= 6 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a")) return "gif";
    return std::nullopt;
}

StagedImage::StagedImage(const ImageSettings& s, ImageKind kind, std::string staging_dir, std::string hash)
    : settings_(s), kind_(kind), staging_(std::move(staging_dir)), hash_(std::move(hash)) {}

StagedImage::~StagedImage() {
    std::error_code ec;
    fs::remove_all(staging_, ec);
}

void StagedImage::place() {
    lock_hash(hash_);
    const std::string dir = hex_dir(settings_, hash_);
    std::error_code ec;
    fs::create_directories(dir, ec);
    for (const auto& r : renditions(kind_)) {
        fs::rename(staging_ + "/" + r.name + ".webp", dir + "/" + hash_ + "-" + r.name + ".webp", ec);
        if (ec) {
            log_event(LogLevel::error, "uploads_unwritable", {{"dir", dir}, {"error", ec.message()}});
            throw storage_unavailable();
        }
    }
}

std::unique_ptr<StagedImage> stage_image(const ImageSettings& s, ImageKind kind, std::string_view bytes) {
    if (bytes.empty()) throw HttpError(422, "empty_file", "The file is empty.", "file");
    if (static_cast<long long>(bytes.size()) > s.max_bytes)
        throw HttpError(413, "file_too_large", "The image is larger than " + std::to_string(s.max_bytes / (1024 * 1024)) + " MB.", "file");
    auto format = sniff_image(bytes);
    if (!format) throw HttpError(415, "unsupported_image", "Upload a JPEG, PNG, WebP or GIF image.", "file");
    if (carries_markup(bytes) || (*format == "png" && png_has_trailer(bytes)))
        throw HttpError(415, "unsupported_image", "The file is not only an image.", "file");

    const std::string staging = make_staging(s);
    Outcome o;
    try {
        o = run_converter(s, *format, staging, kind, bytes);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(staging, ec);
        throw;
    }
    if (o.status == 0) {
        const std::string hash = to_hex(sha256(read_file(staging + "/" + renditions(kind).front().name + ".webp")));
        return std::make_unique<StagedImage>(s, kind, staging, hash);
    }
    std::error_code ec;
    fs::remove_all(staging, ec);
    if (o.status == 2) {
        Json refusal = Json::parse(o.output, nullptr, false);
        const std::string code = refusal.is_object() && refusal.value("error", "").size() ? refusal.value("error", "") : "undecodable_image";
        if (code == "too_many_pixels")
            throw HttpError(422, code, "The image has more than " + std::to_string(s.max_pixels / 1'000'000) + " megapixels.", "file");
        throw HttpError(422, code == "empty_file" ? code : "undecodable_image", "The image could not be read.", "file");
    }
    if (o.signal || o.timed_out) {
        // A decoder that crashed, ran out of its CPU time or memory, or hung: the file's fault.
        log_event(LogLevel::warn, "image_decoder_stopped", {{"signal", o.signal}, {"timed_out", o.timed_out}, {"bytes", bytes.size()}});
        throw HttpError(422, "undecodable_image", "The image could not be read.", "file");
    }
    log_event(LogLevel::error, "image_converter_failed", {{"status", o.status}, {"converter", s.converter}});
    throw HttpError(503, "converter_unavailable", "Images can't be processed right now; try again shortly.");
}

Json image_urls(ImageKind kind, const std::string& hash) {
    Json urls = Json::object();
    for (const auto& r : renditions(kind)) urls[r.name] = "/uploads/" + hash.substr(0, 2) + "/" + hash + "-" + r.name + ".webp";
    return urls;
}

void release_image(const ImageSettings& s, const std::string& hash) {
    try {
        db().transaction([&] {
            lock_hash(hash);
            auto r = db().exec("SELECT EXISTS (SELECT 1 FROM users WHERE avatar = $1) OR EXISTS (SELECT 1 FROM social_posts WHERE image = $1) "
                               "OR EXISTS (SELECT 1 FROM videos WHERE poster = $1) AS used",
                               {hash});
            if (r.get_bool(0, "used")) return;
            std::error_code ec;
            for (auto kind : {ImageKind::avatar, ImageKind::post, ImageKind::poster})  // whichever it was made as
                for (const auto& r : renditions(kind)) fs::remove(hex_dir(s, hash) + "/" + hash + "-" + r.name + ".webp", ec);
        });
    } catch (const std::exception& e) {
        // A file left behind costs disk, never correctness; it is logged to be swept.
        log_event(LogLevel::warn, "image_release_failed", {{"hash", hash}, {"error", e.what()}});
    }
}

}  // namespace pnptv
