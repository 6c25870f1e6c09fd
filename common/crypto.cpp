#include "crypto.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <nettle/memops.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

// Nettle, not OpenSSL: OpenSSL 3 loads its providers and looks every algorithm up by name on
// first use, about 1.5 ms of a process's start for one SHA-256 — and a function started in CGI
// mode may hash once in its whole life. Nettle's functions are plain code on caller-owned state.

namespace pnptv {

namespace {
const uint8_t* bytes_of(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

template <class Ctx, void (*Init)(Ctx*), void (*Update)(Ctx*, size_t, const uint8_t*), void (*Digest)(Ctx*, size_t, uint8_t*),
          size_t Size>
std::string digest(std::string_view data) {
    Ctx ctx;
    Init(&ctx);
    Update(&ctx, data.size(), bytes_of(data));
    std::string out(Size, '\0');
    Digest(&ctx, Size, reinterpret_cast<uint8_t*>(out.data()));
    return out;
}
}  // namespace

std::string sha256(std::string_view data) {
    return digest<sha256_ctx, nettle_sha256_init, nettle_sha256_update, nettle_sha256_digest, SHA256_DIGEST_SIZE>(data);
}
std::string md5(std::string_view data) {
    return digest<md5_ctx, nettle_md5_init, nettle_md5_update, nettle_md5_digest, MD5_DIGEST_SIZE>(data);
}
std::string sha1(std::string_view data) {
    return digest<sha1_ctx, nettle_sha1_init, nettle_sha1_update, nettle_sha1_digest, SHA1_DIGEST_SIZE>(data);
}

struct HmacKey::State {
    hmac_sha256_ctx ctx;
};

HmacKey::HmacKey(std::string_view key) : state_(std::make_unique<State>()) {
    hmac_sha256_set_key(&state_->ctx, key.size(), bytes_of(key));
}
HmacKey::~HmacKey() = default;
HmacKey::HmacKey(HmacKey&&) noexcept = default;

std::string HmacKey::sign(std::string_view message) const {
    // Nettle's digest leaves the context keyed and ready for the next message.
    hmac_sha256_update(&state_->ctx, message.size(), bytes_of(message));
    std::string out(SHA256_DIGEST_SIZE, '\0');
    hmac_sha256_digest(&state_->ctx, SHA256_DIGEST_SIZE, reinterpret_cast<uint8_t*>(out.data()));
    return out;
}

std::string hmac_sha256(std::string_view key, std::string_view message) { return HmacKey(key).sign(message); }

std::string to_hex(std::string_view bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2) return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2) {
        int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
}

std::string base64_encode(std::string_view bytes, Base64 alphabet, bool pad) {
    base64_encode_ctx ctx;
    if (alphabet == Base64::url) base64url_encode_init(&ctx);
    else base64_encode_init(&ctx);
    std::string out(BASE64_ENCODE_LENGTH(bytes.size()) + BASE64_ENCODE_FINAL_LENGTH, '\0');
    char* dst = out.data();
    size_t n = base64_encode_update(&ctx, dst, bytes.size(), bytes_of(bytes));
    n += base64_encode_final(&ctx, dst + n);
    out.resize(n);
    if (!pad)
        while (!out.empty() && out.back() == '=') out.pop_back();
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    // Either alphabet, with or without padding: the URL-safe characters become the standard ones.
    std::string s;
    s.reserve(text.size() + 3);
    for (char c : text) {
        if (c == '-') c = '+';
        else if (c == '_') c = '/';
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!ok) break;
        s.push_back(c);
    }
    // Only padding may follow the data, and only as much as completes the last quantum.
    size_t data_len = s.size();
    std::string_view rest = text.substr(data_len);
    if (rest.find_first_not_of('=') != std::string_view::npos) return std::nullopt;
    if (data_len % 4 == 1) return std::nullopt;
    size_t pad = (4 - data_len % 4) % 4;
    if (!rest.empty() && rest.size() != pad) return std::nullopt;
    s.append(pad, '=');
    base64_decode_ctx ctx;
    base64_decode_init(&ctx);
    std::string out(BASE64_DECODE_LENGTH(s.size()), '\0');
    size_t n = out.size();
    if (!base64_decode_update(&ctx, &n, reinterpret_cast<uint8_t*>(out.data()), s.size(), s.data()) || !base64_decode_final(&ctx))
        return std::nullopt;
    out.resize(n);
    return out;
}

std::string random_bytes(size_t n) {
    // The kernel's CSPRNG: no generator of our own to instantiate at start (OpenSSL's DRBG costs
    // about 2 ms of a process's start), and it is what any user-space generator seeds from.
    std::string out(n, '\0');
    for (size_t got = 0; got < n;) {
        ssize_t r = getrandom(out.data() + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("getrandom failed");
        }
        got += static_cast<size_t>(r);
    }
    return out;
}

std::string random_token(size_t bytes) { return base64_encode(random_bytes(bytes), Base64::url, false); }

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return memeql_sec(a.data(), b.data(), a.size()) != 0;
}

}  // namespace pnptv
