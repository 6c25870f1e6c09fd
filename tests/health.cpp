// functions/health, called directly (no socket) against the run's PostgreSQL and Redis.
#define BOOST_TEST_MODULE health
#include <boost/test/unit_test.hpp>

#include "../functions/health/handler.hpp"
#include "testing.hpp"

using testing::body_json;
using testing::make_request;

namespace {
const auto settings = testing::settings<health::Settings>();
}

BOOST_AUTO_TEST_CASE(both_up_is_200_with_version) {
    auto r = health::handle(settings, make_request("GET", "/health"));
    BOOST_TEST(r.status == 200);
    auto j = body_json(r);
    BOOST_TEST(j["status"] == "ok");
    BOOST_TEST(j["postgres"] == "ok");
    BOOST_TEST(j["redis"] == "ok");
    BOOST_TEST(j["version"].is_string());
    BOOST_TEST(!j["version"].get<std::string>().empty());
}

BOOST_AUTO_TEST_CASE(head_is_answered) { BOOST_TEST(health::handle(settings, make_request("HEAD", "/health")).status == 200); }

BOOST_AUTO_TEST_CASE(other_methods_are_405) {
    for (const char* m : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"}) {
        auto r = health::handle(settings, make_request(m, "/health", "{}"));
        BOOST_TEST(r.status == 405, m);
        BOOST_TEST(body_json(r)["error"]["code"] == "method_not_allowed");
        BOOST_TEST(*r.header("Allow") == "GET, HEAD");
    }
}

BOOST_AUTO_TEST_CASE(bad_paths_and_queries) {
    BOOST_TEST(health::handle(settings, make_request("GET", "/health/")).status == 404);
    BOOST_TEST(health::handle(settings, make_request("GET", "/health%00.json")).status == 404);
    BOOST_TEST(health::handle(settings, make_request("GET", "/health?id=%zz")).status == 400);
}

BOOST_AUTO_TEST_CASE(the_function_declares_what_it_needs) {
    const auto& f = health::function();
    BOOST_TEST(f.name == "health");
    BOOST_TEST(f.routes.size() == 1u);
    BOOST_TEST(f.routes.front().pattern == std::string(health::health_path));
    auto reader = pnptv::SettingsReader::describing();
    health::Settings::read(reader);
    std::vector<std::string> names;
    for (const auto& d : reader.described()) names.push_back(d.name + (d.fallback.empty() ? "!" : ""));
    BOOST_TEST(names == (std::vector<std::string>{"DATABASE_URL!", "REDIS_URL!", "REDIS_TIMEOUT_MS"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_missing_store_stops_it_naming_the_setting) {
    BOOST_CHECK_EXCEPTION(testing::settings<health::Settings>({{"REDIS_URL", ""}}), pnptv::ConfigError,
                          [](const pnptv::ConfigError& e) { return std::string(e.what()).find("REDIS_URL") != std::string::npos; });
}
