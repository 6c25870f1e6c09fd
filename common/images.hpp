// images.hpp — people's uploaded pictures: checked, converted and stored by content hash.
//
// An upload's type is decided by its magic bytes alone (JPEG, PNG, WebP, GIF), never its name or
// declared Content-Type; a file that also carries markup or script (a polyglot) is refused. The
// bytes are decoded in a separate process (functions/image-convert, libvips) under a pixel
// limit, a CPU-time and a wall-clock limit and a memory cap, so a hostile file can take down
// only that process. What is stored are WebP renditions without metadata, named by the SHA-256
// of the largest one: `<UPLOADS_DIR>/<first two hex digits>/<hash>-<rendition>.webp`, served by
// nginx under /uploads/ (docs/architecture.md, "Uploads and media"). The same picture uploaded
// twice is one set of files: they are moved into place inside the transaction that writes the row
// naming them, under a lock on the hash that release_image takes too, so a release never removes
// files a row is about to name.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"
#include "settings.hpp"

namespace pnptv {

struct ImageSettings {
    std::string uploads_dir;      // UPLOADS_DIR: where renditions are written (shared storage on several hosts)
    std::string converter;        // IMAGE_CONVERTER: the image-convert binary (default: beside this one)
    long long max_pixels;         // IMAGE_MAX_PIXELS: width × height a source may declare
    long long max_bytes;          // IMAGE_MAX_BYTES: the largest file accepted
    int decode_seconds;           // IMAGE_DECODE_SECONDS: CPU and wall-clock limit of one conversion
    long long memory_mb;          // IMAGE_MEMORY_MB: the converter's address-space cap
    static ImageSettings read(SettingsReader& r);
};

// What an image is made into. Every kind's renditions are named; the first is the largest.
enum class ImageKind { avatar, post, poster };

// "jpeg", "png", "webp", "gif" from the first bytes; nullopt for anything else.
std::optional<std::string> sniff_image(std::string_view bytes);

// A converted upload waiting in staging (under UPLOADS_DIR) for the row that will name it; what
// isn't placed is removed with it.
class StagedImage {
public:
    StagedImage(const ImageSettings& s, ImageKind kind, std::string staging_dir, std::string hash);
    StagedImage(StagedImage&&) = delete;
    ~StagedImage();
    const std::string& hash() const { return hash_; }
    // Call inside the transaction that writes the row naming hash(): takes the hash's lock (held
    // until that transaction ends) and moves the files into place. Throws 503 if it can't.
    void place();

private:
    const ImageSettings& settings_;
    ImageKind kind_;
    std::string staging_, hash_;
};

// Checks and converts one upload into staging. HttpError 413 (too large), 415 (not an accepted
// image), 422 (an image refused: too many pixels, undecodable); 503 when the converter can't run.
std::unique_ptr<StagedImage> stage_image(const ImageSettings& s, ImageKind kind, std::string_view bytes);

// {"<rendition>": "/uploads/…webp", …} for a stored hash.
Json image_urls(ImageKind kind, const std::string& hash);

// Removes the files of `hash` unless a row still names it (the same picture can be uploaded by
// two people, and content names share it), under the hash's lock. Call after the transaction
// that dropped the reference committed (or failed to make one); never throws.
void release_image(const ImageSettings& s, const std::string& hash);

}  // namespace pnptv
