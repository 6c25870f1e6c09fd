#include "crypto.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace pnptv {

namespace {
std::string digest(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(data.data(), data.size(), out, &len, md, nullptr)) throw std::runtime_error("digest failed");
    return std::string(reinterpret_cast<char*>(out), len);
}
}  // namespace

std::string sha256(std::string_view data) { return digest(EVP_sha256(), data); }
std::string md5(std::string_view data) { return digest(EVP_md5(), data); }
std::string sha1(std::string_view data) { return digest(EVP_sha1(), data); }

std::string hmac_sha256(std::string_view key, std::string_view message) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len))
        throw std::runtime_error("hmac failed");
    return std::string(reinterpret_cast<char*>(out), len);
}

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
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    if (alphabet == Base64::url)
        for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
    if (!pad)
        while (!out.empty() && out.back() == '=') out.pop_back();
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
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
    std::string out(s.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
    if (n < 0) return std::nullopt;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

std::string random_bytes(size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("CSPRNG failed");
    return out;
}

std::string random_token(size_t bytes) { return base64_encode(random_bytes(bytes), Base64::url, false); }

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace pnptv
