// smtp.hpp — sends one email with a plain-text and an HTML part (multipart/alternative) through
// libcurl's SMTP client to SMTP_URL (e.g. smtp://127.0.0.1:2525, smtps://user:pass@host:465),
// from SMTP_FROM ("Name <address>"). Only notify-worker sends; handlers write the outbox.
#pragma once

#include <string>

#include "outbox.hpp"
#include "settings.hpp"

namespace pnptv {

struct SmtpSettings {
    std::string url;   // SMTP_URL: smtp://host:port or smtps://user:pass@host:465
    std::string from;  // SMTP_FROM: "Name <address>"
    long timeout_ms = 15000;  // SMTP_TIMEOUT_MS
    static SmtpSettings read(SettingsReader& r);
};

struct SmtpResult {
    bool ok = false;
    bool permanent = false;  // a 5xx answer (bad address …): retrying won't help
    std::string error;
};

SmtpResult send_email(const SmtpSettings& s, const Email& email);

// "=?UTF-8?B?…?=" when the text isn't plain ASCII (RFC 2047), else the text itself.
std::string encode_header_word(const std::string& text);

}  // namespace pnptv
