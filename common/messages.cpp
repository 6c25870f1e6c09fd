#include "messages.hpp"

#include <fmt/args.h>
#include <fmt/format.h>

namespace pnptv {

std::string_view catalogue_language(std::string_view language) { return language == "es" ? "es" : "en"; }

const Json& catalogue(std::string_view language) {
    static const Json en = Json::parse(
#include "messages_en.inc"
    );
    static const Json es = Json::parse(
#include "messages_es.inc"
    );
    return catalogue_language(language) == "es" ? es : en;
}

std::string say(std::string_view language, std::string_view key,
                std::initializer_list<std::pair<const char*, std::string>> args) {
    fmt::dynamic_format_arg_store<fmt::format_context> store;
    for (const auto& [name, value] : args) store.push_back(fmt::arg(name, value));
    return fmt::vformat(catalogue(language).at(std::string(key)).get<std::string>(), store);
}

}  // namespace pnptv
