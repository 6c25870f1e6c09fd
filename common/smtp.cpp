#include "smtp.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "cookies.hpp"
#include "crypto.hpp"
#include "text.hpp"

namespace pnptv {

namespace {
std::string address_of(const std::string& mailbox) {
    size_t lt = mailbox.find('<'), gt = mailbox.find('>');
    if (lt != std::string::npos && gt != std::string::npos && gt > lt) return mailbox.substr(lt + 1, gt - lt - 1);
    return mailbox;
}
bool has_line_break(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }
}  // namespace

std::string encode_header_word(const std::string& text) {
    for (unsigned char c : text)
        if (c >= 0x80) return "=?UTF-8?B?" + base64_encode(text) + "?=";
    return text;
}

SmtpSettings SmtpSettings::read(SettingsReader& r) {
    SmtpSettings s;
    s.url = r.text("SMTP_URL");
    s.from = r.text("SMTP_FROM");
    s.timeout_ms = r.integer("SMTP_TIMEOUT_MS", 15000, 100, 300000);
    if (!r.describing_only() && s.url.rfind("smtp://", 0) != 0 && s.url.rfind("smtps://", 0) != 0)
        throw ConfigError("SMTP_URL must be an smtp:// or smtps:// URL");
    // It goes into the From: header as written: one line, one address.
    if (!r.describing_only() && (std::any_of(s.from.begin(), s.from.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; }) ||
                                 !is_valid_utf8(s.from) || s.from.find('@') == std::string::npos ||
                                 s.from.size() > 320))
        throw ConfigError("SMTP_FROM must be one address (\"PNPtv <no-reply@pnptv.app>\" or no-reply@pnptv.app), on one line");
    return s;
}

SmtpResult send_email(const SmtpSettings& s, const Email& email) {
    SmtpResult out;
    const std::string& from = s.from;
    // Header injection is impossible by construction: no line breaks in any header value.
    if (!plausible_email(address_of(email.to)) || has_line_break(email.to) || has_line_break(email.subject)) {
        out.permanent = true;
        out.error = "malformed recipient or subject";
        return out;
    }
    CURL* c = curl_easy_init();
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + address_of(email.to) + ">").c_str());
    curl_slist* headers = nullptr;
    const std::string msg_id = "<" + to_hex(random_bytes(12)) + "@pnptv>";
    for (std::string h : {"Date: " + http_date(std::chrono::system_clock::now()).replace(26, 3, "+0000"),
                          "From: " + from, "To: " + email.to, "Subject: " + encode_header_word(email.subject),
                          "Message-ID: " + msg_id})
        headers = curl_slist_append(headers, h.c_str());

    curl_mime* mime = curl_mime_init(c);
    curl_mime* alternative = curl_mime_init(c);
    curl_mimepart* part = curl_mime_addpart(alternative);
    curl_mime_data(part, email.text.c_str(), CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/plain; charset=utf-8");
    part = curl_mime_addpart(alternative);
    curl_mime_data(part, email.html.c_str(), CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/html; charset=utf-8");
    part = curl_mime_addpart(mime);
    curl_mime_subparts(part, alternative);
    curl_mime_type(part, "multipart/alternative");
    curl_slist* part_headers = curl_slist_append(nullptr, "Content-Disposition: inline");
    curl_mime_headers(part, part_headers, 1);

    const std::string& url = s.url;
    const std::string mail_from = "<" + address_of(from) + ">";
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s.timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USE_SSL, url.rfind("smtps://", 0) == 0 ? CURLUSESSL_ALL : CURLUSESSL_TRY);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    out.ok = rc == CURLE_OK;
    if (!out.ok) {
        out.error = std::string(curl_easy_strerror(rc)) + (code ? " (SMTP " + std::to_string(code) + ")" : "");
        out.permanent = code >= 500 && code < 600;
    }
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    return out;
}

}  // namespace pnptv
