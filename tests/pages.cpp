// The pages' build (scripts/build-public) and their words: fingerprinted assets every page can
// find, no inline script or style anywhere (the pages' CSP forbids them), and one catalogue with
// the same keys and placeholders in both languages. In a browser: serial_e2e*.
#define BOOST_TEST_MODULE pages
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <cctype>
#include <fstream>
#include <set>

#include "messages.hpp"
#include "testing.hpp"

using pnptv::Json;

namespace {

std::string read(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// (std::regex is avoided here: GCC 12 warns inside it under the sanitizer build's -O1.)
bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::set<std::string> placeholders(const std::string& text) {
    std::set<std::string> out;
    for (size_t open = text.find('{'); open != std::string::npos; open = text.find('{', open + 1)) {
        size_t end = open + 1;
        while (end < text.size() && word_char(text[end])) ++end;
        if (end > open + 1 && end < text.size() && text[end] == '}') out.insert(text.substr(open + 1, end - open - 1));
    }
    return out;
}

// Every "/assets/…" name in a text, as build-public reads them.
std::vector<std::string> asset_references(const std::string& text) {
    std::vector<std::string> out;
    for (size_t at = text.find("/assets/"); at != std::string::npos; at = text.find("/assets/", at + 1)) {
        size_t end = at;
        while (end < text.size() && (word_char(text[end]) || text[end] == '.' || text[end] == '/' || text[end] == '-')) ++end;
        if (text.find('.', at) < end) out.push_back(text.substr(at, end - at));
    }
    return out;
}

// "/assets/<name>.<10 hex digits>.<extension>"
bool hashed_name(const std::string& name) {
    const size_t ext = name.rfind('.'), hash = ext == std::string::npos || ext == 0 ? std::string::npos : name.rfind('.', ext - 1);
    if (name.rfind("/assets/", 0) != 0 || hash == std::string::npos || ext - hash != 11 || ext + 1 == name.size()) return false;
    for (size_t i = hash + 1; i < ext; ++i)
        if (!std::isxdigit(static_cast<unsigned char>(name[i])) || std::isupper(static_cast<unsigned char>(name[i]))) return false;
    return true;
}

// A <script> without src, or an on…= / style= attribute: code or style written into the page.
std::string inline_code(const std::string& html) {
    for (size_t at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1)) {
        const std::string tag = html.substr(at, html.find('>', at) - at);
        if (tag.find(" src=") == std::string::npos) return tag;
    }
    for (size_t i = 1; i + 1 < html.size(); ++i) {
        if (!std::isspace(static_cast<unsigned char>(html[i - 1]))) continue;
        size_t end = i;
        while (end < html.size() && std::isalpha(static_cast<unsigned char>(html[end]))) ++end;
        const std::string name = html.substr(i, end - i);
        if ((name == "style" || (name.size() > 2 && name.rfind("on", 0) == 0)) && end < html.size() && html[end] == '=')
            return name + "=";
    }
    return "";
}

// Builds nginx/public (or a copy of it) into a fresh folder; the build's output.
testing::ShellResult build(const std::string& src, const std::string& out) {
    return testing::shell("scripts/build-public '" + src + "' '" + out + "' 2>&1 || echo exit=$?");
}

}  // namespace

BOOST_AUTO_TEST_CASE(both_languages_have_every_key_with_the_same_placeholders) {
    const Json& en = pnptv::catalogue("en");
    const Json& es = pnptv::catalogue("es");
    BOOST_TEST(en.size() == es.size());
    for (const auto& [key, text] : en.items()) {
        BOOST_TEST_REQUIRE(es.contains(key), key);
        BOOST_TEST((placeholders(text.get<std::string>()) == placeholders(es[key].get<std::string>())), key);
    }
}

BOOST_AUTO_TEST_CASE(the_public_root_names_only_hashed_assets_that_exist_and_runs_no_inline_code) {
    const std::string out = testing::temp_dir() + "/public";
    auto r = build("nginx/public", out);
    BOOST_TEST_REQUIRE(r.output.find("exit=") == std::string::npos, r.output);
    Json manifest = Json::parse(read(out + "/assets-manifest.json"));
    BOOST_TEST(manifest.contains("/assets/app.js"));
    for (const auto& [source, built] : manifest.items()) {
        BOOST_TEST(hashed_name(built.get<std::string>()), built);
        BOOST_TEST(std::filesystem::exists(out + built.get<std::string>()), built);
        BOOST_TEST(!std::filesystem::exists(out + source), source);  // only the hashed name is served
    }
    // The pages' words: the catalogue's web. keys, prefix dropped, in both languages.
    Json en = Json::parse(read(out + manifest["/assets/i18n/en.json"].get<std::string>()));
    Json es = Json::parse(read(out + manifest["/assets/i18n/es.json"].get<std::string>()));
    BOOST_TEST(en["auth.button"] == pnptv::say("en", "web.auth.button"));
    BOOST_TEST(es["auth.button"] == pnptv::say("es", "web.auth.button"));
    BOOST_TEST(en.size() == es.size());

    int pages = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
        const std::string path = entry.path().string();
        const bool html = entry.path().extension() == ".html";
        if (!html && path.find("/assets/vendor/") == std::string::npos && entry.path().extension() != ".js") continue;
        if (path.find("/assets/vendor/") != std::string::npos) continue;  // not ours
        const std::string text = read(entry.path());
        for (const std::string& name : asset_references(text)) {
            BOOST_TEST(hashed_name(name), path << " names " << name);
            BOOST_TEST(std::filesystem::exists(out + name), path << " names " << name);
        }
        if (html) {
            ++pages;
            BOOST_TEST(inline_code(text) == "", path);
        }
    }
    BOOST_TEST(pages >= 5);
}

BOOST_AUTO_TEST_CASE(a_change_to_a_module_renames_every_asset_that_imports_it) {
    const std::string dir = testing::temp_dir();
    BOOST_TEST_REQUIRE(testing::shell("cp -r nginx/public '" + dir + "/src'").status == 0);
    auto before = build(dir + "/src", dir + "/a");
    BOOST_TEST_REQUIRE(before.output.find("exit=") == std::string::npos, before.output);
    std::ofstream(dir + "/src/assets/app.js", std::ios::app) << "\n// changed\n";
    auto after = build(dir + "/src", dir + "/b");
    BOOST_TEST_REQUIRE(after.output.find("exit=") == std::string::npos, after.output);
    Json a = Json::parse(read(dir + "/a/assets-manifest.json")), b = Json::parse(read(dir + "/b/assets-manifest.json"));
    BOOST_TEST(a["/assets/app.js"] != b["/assets/app.js"]);
    BOOST_TEST(a["/assets/hub.js"] != b["/assets/hub.js"]);  // it imports app.js: its text changed
    BOOST_TEST(a["/assets/app.css"] == b["/assets/app.css"]);  // untouched
    // A page naming an asset that doesn't exist is a build error, not a broken page.
    std::ofstream(dir + "/src/hub/index.html", std::ios::app) << "<script type=\"module\" src=\"/assets/missing.js\"></script>\n";
    auto broken = build(dir + "/src", dir + "/c");
    BOOST_TEST(broken.output.find("exit=1") != std::string::npos, broken.output);
    BOOST_TEST(broken.output.find("/assets/missing.js") != std::string::npos, broken.output);
    BOOST_TEST(!std::filesystem::exists(dir + "/c"));
}
