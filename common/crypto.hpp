// crypto.hpp — the hashing, signing, encoding and randomness the protocols need: Nettle for the
// first three (no global initialisation, unlike OpenSSL 3's providers: see crypto.cpp), the
// kernel's getrandom for randomness. Byte strings are std::string (raw bytes); hex is lower case.
//
// constant_time_equal is the only way secrets, hashes and signatures are compared in this code.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pnptv {

std::string sha256(std::string_view data);                                  // 32 raw bytes
std::string md5(std::string_view data);                                     // 16 raw bytes
std::string sha1(std::string_view data);  // 20 raw bytes; only for naming Redis scripts, never for security
std::string hmac_sha256(std::string_view key, std::string_view message);    // 32 raw bytes

// An HMAC-SHA256 key set up once, for keys used on every request (the session secrets): each
// sign() starts from the keyed state instead of hashing the key again.
// Not for use from two threads at once (each process here has one).
class HmacKey {
public:
    explicit HmacKey(std::string_view key);
    ~HmacKey();
    HmacKey(HmacKey&& other) noexcept;
    HmacKey(const HmacKey&) = delete;
    HmacKey& operator=(const HmacKey&) = delete;
    std::string sign(std::string_view message) const;  // 32 raw bytes

private:
    struct State;
    std::unique_ptr<State> state_;  // the keyed HMAC context
};

std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);

enum class Base64 { standard, url };
std::string base64_encode(std::string_view bytes, Base64 alphabet = Base64::standard, bool pad = true);
// Accepts either alphabet, with or without padding; nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

std::string random_bytes(size_t n);  // the kernel CSPRNG (getrandom); throws if it fails
std::string random_token(size_t bytes);  // base64url, no padding

bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace pnptv
