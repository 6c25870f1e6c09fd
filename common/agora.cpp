#include "agora.hpp"

#include <zlib.h>

#include <ctime>
#include <stdexcept>

#include "crypto.hpp"
#include "text.hpp"

namespace pnptv {

AgoraSettings AgoraSettings::read(SettingsReader& r) {
    AgoraSettings s{r.text("AGORA_APP_ID"), r.secret("AGORA_APP_CERTIFICATE"),
                    static_cast<uint32_t>(r.integer("AGORA_TOKEN_TTL_SECONDS", 3600, 60, 86400))};
    // Both are 32 hex digits in Agora's console; anything else makes tokens no client accepts.
    const auto hex32 = [](const std::string& v) { return v.size() == 32 && only_chars(v, "abcdefABCDEF0123456789"); };
    if (!r.describing_only() && !hex32(s.app_id)) throw ConfigError("AGORA_APP_ID must be 32 hex digits");
    if (!r.describing_only() && !hex32(s.certificate.reveal())) throw ConfigError("AGORA_APP_CERTIFICATE must be 32 hex digits");
    return s;
}

namespace {

void put_u16(std::string& out, uint16_t v) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>(v >> 8));
}
void put_u32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_string(std::string& out, std::string_view s) {
    if (s.size() > 0xffff) throw std::invalid_argument("agora: string too long");
    put_u16(out, static_cast<uint16_t>(s.size()));
    out.append(s);
}
std::string u32_bytes(uint32_t v) {
    std::string s;
    put_u32(s, v);
    return s;
}

std::string signing_key(std::string_view certificate, uint32_t issue_ts, uint32_t salt) {
    return hmac_sha256(u32_bytes(salt), hmac_sha256(u32_bytes(issue_ts), certificate));
}

struct Reader {
    std::string_view data;
    bool ok = true;
    uint16_t u16() {
        if (data.size() < 2) return fail(), 0;
        uint16_t v = static_cast<uint16_t>(static_cast<unsigned char>(data[0]) | static_cast<unsigned char>(data[1]) << 8);
        data.remove_prefix(2);
        return v;
    }
    uint32_t u32() {
        if (data.size() < 4) return fail(), 0;
        uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(data[static_cast<size_t>(i)]);
        data.remove_prefix(4);
        return v;
    }
    std::string str() {
        uint16_t n = u16();
        if (!ok || data.size() < n) return fail(), std::string();
        std::string s(data.substr(0, n));
        data.remove_prefix(n);
        return s;
    }
    void fail() { ok = false; }
};

}  // namespace

std::string build_agora_rtc_token(const AgoraTokenRequest& r) {
    const uint32_t issue_ts = r.issue_ts ? r.issue_ts : static_cast<uint32_t>(std::time(nullptr));
    uint32_t salt = r.salt;
    while (salt == 0) {
        std::string b = random_bytes(4);
        uint32_t v = 0;
        for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
        salt = v % 99'999'999u + 1;
    }
    std::map<uint16_t, uint32_t> privileges = {{1, r.expire_seconds}};
    if (r.role == AgoraRole::publisher)
        for (uint16_t p : {2, 3, 4}) privileges[p] = r.expire_seconds;

    std::string info;
    put_string(info, r.app_id);
    put_u32(info, issue_ts);
    put_u32(info, r.expire_seconds);
    put_u32(info, salt);
    put_u16(info, 1);  // one service: RTC
    put_u16(info, 1);
    put_u16(info, static_cast<uint16_t>(privileges.size()));
    for (auto [k, v] : privileges) {
        put_u16(info, k);
        put_u32(info, v);
    }
    put_string(info, r.channel);
    put_string(info, r.uid == 0 ? std::string() : std::to_string(r.uid));

    std::string content;
    put_string(content, hmac_sha256(signing_key(r.app_certificate, issue_ts, salt), info));
    content += info;

    uLongf size = compressBound(content.size());
    std::string compressed(size, '\0');
    if (compress(reinterpret_cast<Bytef*>(compressed.data()), &size, reinterpret_cast<const Bytef*>(content.data()),
                 content.size()) != Z_OK)
        throw std::runtime_error("agora: zlib compress failed");
    compressed.resize(size);
    return "007" + base64_encode(compressed);
}

std::optional<AgoraToken> decode_agora_token(std::string_view token) {
    if (token.substr(0, 3) != "007") return std::nullopt;
    auto compressed = base64_decode(token.substr(3));
    if (!compressed || compressed->empty()) return std::nullopt;
    std::string content(4096, '\0');
    uLongf size = content.size();
    if (uncompress(reinterpret_cast<Bytef*>(content.data()), &size, reinterpret_cast<const Bytef*>(compressed->data()),
                   compressed->size()) != Z_OK)
        return std::nullopt;
    content.resize(size);
    Reader in{content};
    AgoraToken t;
    t.signature = in.str();
    t.signing_info = std::string(in.data);
    t.app_id = in.str();
    t.issue_ts = in.u32();
    t.expire = in.u32();
    t.salt = in.u32();
    uint16_t services = in.u16();
    if (!in.ok || services != 1 || in.u16() != 1) return std::nullopt;
    uint16_t count = in.u16();
    for (uint16_t i = 0; i < count && in.ok; ++i) {
        uint16_t k = in.u16();
        t.privileges[k] = in.u32();
    }
    t.channel = in.str();
    t.uid = in.str();
    if (!in.ok || !in.data.empty()) return std::nullopt;
    return t;
}

bool agora_signature_valid(const AgoraToken& t, std::string_view app_certificate) {
    return constant_time_equal(hmac_sha256(signing_key(app_certificate, t.issue_ts, t.salt), t.signing_info), t.signature);
}

}  // namespace pnptv
