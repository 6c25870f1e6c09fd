// messages.hpp — the one message catalogue (EN/ES) for everything a person reads from us: the
// bot's replies, payment and subscription notices, e-mails.
//
// Texts live in messages_en.inc / messages_es.inc (JSON objects compiled in, so a function
// starts without reading files); placeholders are fmt's named fields ("{plan}"). A language we
// don't have falls back to English; a key missing from the catalogue is a programming error
// (std::out_of_range), caught by the tests that render every message.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "http.hpp"

namespace pnptv {

// "es" for Spanish, "en" for anything else.
std::string_view catalogue_language(std::string_view language);

// The text for `key` in `language` with its placeholders filled.
std::string say(std::string_view language, std::string_view key,
                std::initializer_list<std::pair<const char*, std::string>> args = {});

// The whole catalogue of one language (for tests and pages).
const Json& catalogue(std::string_view language);

}  // namespace pnptv
