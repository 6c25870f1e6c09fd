// agora.hpp — Agora AccessToken2 ("007") for RTC, byte for byte as Agora's reference builders
// make it (docs/protocols.md §6), and a decoder the tests use to check every token we issue.
//
// Little-endian integers; string = uint16 length + bytes; privileges are seconds from issue.
// A subscriber may only join (privilege 1); a publisher may join and publish audio, video, data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "settings.hpp"

namespace pnptv {

struct AgoraSettings {
    std::string app_id;         // AGORA_APP_ID
    Secret certificate;         // AGORA_APP_CERTIFICATE
    uint32_t token_ttl_seconds;  // AGORA_TOKEN_TTL_SECONDS: a token's life from issue
    static AgoraSettings read(SettingsReader& r);
};

enum class AgoraRole { publisher, subscriber };

struct AgoraTokenRequest {
    std::string app_id;
    std::string app_certificate;  // its 32-character text, not hex-decoded
    std::string channel;
    uint32_t uid = 0;             // 0: any uid (empty uid string in the token)
    AgoraRole role = AgoraRole::subscriber;
    uint32_t expire_seconds = 3600;  // token and privileges, from issue
    uint32_t issue_ts = 0;        // Unix time; 0 = now
    uint32_t salt = 0;            // 1 … 99,999,999; 0 = random
};

std::string build_agora_rtc_token(const AgoraTokenRequest& request);

struct AgoraToken {
    std::string app_id;
    uint32_t issue_ts = 0, expire = 0, salt = 0;
    std::string channel, uid;              // uid as its decimal text ("" for 0)
    std::map<uint16_t, uint32_t> privileges;
    std::string signature;                 // raw 32 bytes
    std::string signing_info;              // what the signature covers
};

// nullopt when it isn't a well-formed 007 RTC token.
std::optional<AgoraToken> decode_agora_token(std::string_view token);

// Checks a decoded token's signature against the certificate.
bool agora_signature_valid(const AgoraToken& token, std::string_view app_certificate);

}  // namespace pnptv
