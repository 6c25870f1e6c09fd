// The pages' build (scripts/build-public) and their words: fingerprinted assets every page can
// find, no inline script or style anywhere (the pages' CSP forbids them), and one catalogue with
// the same keys and placeholders in both languages. In a browser: serial_e2e*.
#define BOOST_TEST_MODULE pages
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "messages.hpp"
#include "testing.hpp"

using pnptv::Json;

namespace {

std::string read(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::set<std::string> placeholders(const std::string& text) {
    std::set<std::string> out;
    static const std::regex field(R"(\{(\w+)\})");
    for (std::sregex_iterator i(text.begin(), text.end(), field), end; i != end; ++i) out.insert((*i)[1]);
    return out;
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
    const std::regex hashed(R"(^/assets/.+\.[0-9a-f]{10}\.[a-z0-9]+$)");
    for (const auto& [source, built] : manifest.items()) {
        BOOST_TEST(std::regex_match(built.get<std::string>(), hashed), built);
        BOOST_TEST(std::filesystem::exists(out + built.get<std::string>()), built);
        BOOST_TEST(!std::filesystem::exists(out + source), source);  // only the hashed name is served
    }
    // The pages' words: the catalogue's web. keys, prefix dropped, in both languages.
    Json en = Json::parse(read(out + manifest["/assets/i18n/en.json"].get<std::string>()));
    Json es = Json::parse(read(out + manifest["/assets/i18n/es.json"].get<std::string>()));
    BOOST_TEST(en["auth.button"] == pnptv::say("en", "web.auth.button"));
    BOOST_TEST(es["auth.button"] == pnptv::say("es", "web.auth.button"));
    BOOST_TEST(en.size() == es.size());

    const std::regex reference(R"(/assets/[A-Za-z0-9_./-]+\.[A-Za-z0-9]+)");
    const std::regex inline_script(R"(<script(?![^>]*\bsrc=)[^>]*>)", std::regex::icase);
    const std::regex inline_code(R"(\s(on[a-z]+|style)\s*=)", std::regex::icase);
    int pages = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(out)) {
        const std::string path = entry.path().string();
        const bool html = entry.path().extension() == ".html";
        if (!html && path.find("/assets/vendor/") == std::string::npos && entry.path().extension() != ".js") continue;
        if (path.find("/assets/vendor/") != std::string::npos) continue;  // not ours
        const std::string text = read(entry.path());
        for (std::sregex_iterator i(text.begin(), text.end(), reference), end; i != end; ++i) {
            BOOST_TEST(std::regex_match(i->str(), hashed), path << " names " << i->str());
            BOOST_TEST(std::filesystem::exists(out + i->str()), path << " names " << i->str());
        }
        if (html) {
            ++pages;
            BOOST_TEST(!std::regex_search(text, inline_script), path);
            BOOST_TEST(!std::regex_search(text, inline_code), path);
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
