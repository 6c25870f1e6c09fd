// functions/live in process (real PostgreSQL and Redis): going live (PRIME only), tokens decoded
// and checked for role, channel, uid and expiry, the list, viewer counts from heartbeats, ending
// (host or admin) and what an ended stream refuses, bad inputs.
#define BOOST_TEST_MODULE live
#include <boost/test/unit_test.hpp>

#include <ctime>

#include "../functions/live/handler.hpp"
#include "agora.hpp"
#include "pg.hpp"
#include "testing.hpp"

using namespace pnptv;
using testing::make_request;

namespace {

const std::string certificate = "5CFd2fd1755d40ecb72977518be15d3b";
Pairs values(const std::string& window = "15") {
    return {{"SESSION_SECRETS", "live-secret"}, {"PUBLIC_BASE_URL", "https://pnptv.test"},
            {"AGORA_APP_ID", "970CA35de60c44645bbae8a215061b33"}, {"AGORA_APP_CERTIFICATE", certificate},
            {"AGORA_TOKEN_TTL_SECONDS", "1800"}, {"LIVE_VIEWER_WINDOW_SECONDS", window}};
}
const auto settings = testing::settings<live::Settings>(values());

testing::TestUser user(const std::string& name = "Ana", const std::string& tier = "free", const std::string& role = "user") {
    return testing::make_user(settings.web.session, name, role, tier);
}

Response call(const std::string& method, const std::string& uri, const testing::TestUser* who = nullptr, const std::string& body = {},
              const live::Settings& s = settings) {
    Pairs headers;
    if (who) headers.emplace_back("cookie", who->cookie);
    if (!body.empty()) headers.emplace_back("content-type", "application/json");
    return live::handle(s, make_request(method, uri, body, headers));
}

const std::string streams = std::string(live::streams_path);
std::string stream_uri(long long id, const std::string& rest = "") { return streams + "/" + std::to_string(id) + rest; }
std::string error_code(const Response& r) { return testing::body_json(r)["error"].value("code", ""); }

Json start(const testing::TestUser& host, const Json& body = Json::object()) {
    auto r = call("POST", streams, &host, body.dump());
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    return testing::body_json(r);
}

// A token as the page receives it, decoded and checked against the certificate.
AgoraToken decoded(const Json& token) {
    auto t = decode_agora_token(token["token"].get<std::string>());
    BOOST_REQUIRE(t.has_value());
    BOOST_TEST(agora_signature_valid(*t, certificate));
    return *t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_prime_member_goes_live_with_a_publisher_token) {
    auto host = user("Host", "prime");
    const long long before = std::time(nullptr);
    Json r = start(host, {{"title", "  Friday night  "}, {"prime_only", false}});
    Json s = r["stream"];
    BOOST_TEST(s["title"] == "Friday night");
    BOOST_TEST(s["status"] == "live");
    BOOST_TEST(s["host"]["id"] == host.id);
    BOOST_TEST(s["chat_room"] == "live-" + std::to_string(s["id"].get<long long>()));
    BOOST_TEST(s["viewers"] == 0);
    auto channel = db().exec("SELECT channel FROM live_streams WHERE id = $1", {s["id"].get<long long>()}).get(0, 0);
    BOOST_TEST(r["token"]["role"] == "publisher");
    BOOST_TEST(r["token"]["channel"] == channel);
    AgoraToken t = decoded(r["token"]);
    BOOST_TEST(t.channel == channel);
    BOOST_TEST(t.uid == std::to_string(host.id));
    BOOST_TEST(t.privileges.size() == 4u);  // join, publish audio, video, data
    // Expiry: a TTL relative to the issue time, never an absolute timestamp passed as a TTL.
    BOOST_TEST(t.expire == 1800u);
    BOOST_TEST(t.privileges.at(1) == 1800u);
    BOOST_TEST(t.issue_ts >= before);
    BOOST_TEST(t.issue_ts <= std::time(nullptr));
    BOOST_TEST(r["token"]["expires_at"].get<long long>() == static_cast<long long>(t.issue_ts) + 1800);
    // Starting again while live: the same stream (200), a fresh token.
    auto again = call("POST", streams, &host, "{}");
    BOOST_TEST(again.status == 200);
    BOOST_TEST(testing::body_json(again)["stream"]["id"] == s["id"]);
    BOOST_TEST(db().exec("SELECT count(*) FROM live_streams WHERE host_id = $1", {host.id}).get_int(0, 0) == 1);
}

BOOST_AUTO_TEST_CASE(free_members_cant_go_live_and_bad_input_is_refused) {
    auto free = user("Free"), prime = user("Prime", "prime");
    auto upsell = call("POST", streams, &free, "{}");
    BOOST_TEST(upsell.status == 403);
    BOOST_TEST(error_code(upsell) == "prime_required");
    BOOST_TEST(call("POST", streams, nullptr, "{}").status == 401);
    struct Case { std::string body; long status; std::string code; };
    for (const auto& c : std::vector<Case>{
             {"[", 400, "invalid_json"},
             {"[]", 400, "invalid_json"},
             {Json{{"title", std::string(201, 'a')}}.dump(), 422, "invalid_length"},
             {Json{{"title", ""}}.dump(), 422, "invalid_length"},
             {Json{{"title", "two\nlines"}}.dump(), 422, "invalid_field"},
             {Json{{"title", 5}}.dump(), 422, "invalid_field"},
             {Json{{"prime_only", "yes"}}.dump(), 422, "invalid_field"},
             {Json{{"channel", "mine"}}.dump(), 422, "unknown_field"},
         }) {
        auto r = call("POST", streams, &prime, c.body);
        BOOST_TEST(r.status == c.status, c.body << " → " << r.body);
        BOOST_TEST(error_code(r) == c.code, c.body << " → " << r.body);
    }
    BOOST_TEST(db().exec("SELECT count(*) FROM live_streams WHERE host_id = ANY($1::bigint[])",
                         {"{" + std::to_string(free.id) + "," + std::to_string(prime.id) + "}"}).get_int(0, 0) == 0);
    for (const std::string& uri : {streams + "/abc", streams + "/999999999", streams + "/0"})
        BOOST_TEST(call("GET", uri, &prime).status == 404, uri);
}

BOOST_AUTO_TEST_CASE(viewers_get_subscriber_tokens_and_prime_streams_want_prime) {
    auto host = user("Host", "prime"), free = user("Free"), prime = user("Prime", "prime");
    const long long open = start(host)["stream"]["id"];
    auto t = call("GET", stream_uri(open, "/token"), &free);
    BOOST_TEST_REQUIRE(t.status == 200, t.body);
    Json token = testing::body_json(t)["token"];
    BOOST_TEST(token["role"] == "subscriber");
    AgoraToken d = decoded(token);
    BOOST_TEST(d.uid == std::to_string(free.id));
    BOOST_TEST(d.privileges.size() == 1u);  // join only
    BOOST_TEST(d.privileges.count(1) == 1u);
    // The host's own token is the publisher's.
    BOOST_TEST(testing::body_json(call("GET", stream_uri(open, "/token"), &host))["token"]["role"] == "publisher");

    const long long members = start(user("Other", "prime"), {{"prime_only", true}})["stream"]["id"];
    auto refused = call("GET", stream_uri(members, "/token"), &free);
    BOOST_TEST(refused.status == 403);
    BOOST_TEST(error_code(refused) == "prime_required");
    BOOST_TEST(call("POST", stream_uri(members, "/heartbeat"), &free).status == 403);
    BOOST_TEST(call("GET", stream_uri(members, "/token"), &prime).status == 200);
    // Everyone sees that it exists (and that it's PRIME): the page shows the upsell.
    auto shown = call("GET", stream_uri(members), &free);
    BOOST_TEST(shown.status == 200);
    BOOST_TEST(testing::body_json(shown)["stream"]["prime_only"] == true);

    // The list: what is live now, newest first, in keyset pages.
    std::vector<long long> listed;
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
        auto r = call("GET", streams + "?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor), &free);
        BOOST_TEST_REQUIRE(r.status == 200, r.body);
        const Json body = testing::body_json(r);
        for (const auto& s : body["items"]) listed.push_back(s["id"]);
        if (body["next_cursor"].is_null()) break;
        cursor = body["next_cursor"];
    }
    auto expected = db().exec("SELECT id FROM live_streams WHERE status = 'live' ORDER BY started_at DESC, id DESC");
    BOOST_TEST_REQUIRE(static_cast<int>(listed.size()) == expected.rows());
    for (int i = 0; i < expected.rows(); ++i) BOOST_TEST(listed[static_cast<size_t>(i)] == expected.get_int(i, 0));
    BOOST_TEST(call("GET", streams, nullptr).status == 401);
}

BOOST_AUTO_TEST_CASE(heartbeats_count_distinct_viewers_then_none_once_they_stop) {
    const auto short_window = testing::settings<live::Settings>(values("2"));
    auto host = user("Host", "prime");
    const long long id = start(host)["stream"]["id"];
    std::vector<testing::TestUser> viewers;
    for (int i = 0; i < 30; ++i) viewers.push_back(user("Viewer " + std::to_string(i)));
    long long last = 0;
    for (int round = 0; round < 2; ++round)  // the same people twice are still 30
        for (const auto& v : viewers) {
            auto r = call("POST", stream_uri(id, "/heartbeat"), &v, {}, short_window);
            BOOST_TEST_REQUIRE(r.status == 200, r.body);
            last = testing::body_json(r)["viewers"];
        }
    BOOST_TEST(last == 30);
    auto shown = testing::body_json(call("GET", stream_uri(id), &host, {}, short_window))["stream"];
    BOOST_TEST(shown["viewers"] == 30);
    BOOST_TEST(shown["viewer_peak"] == 30);
    // Nobody heartbeats any more: the count falls to 0 once the window passes; the peak stays.
    BOOST_TEST(testing::wait_for([&] {
        return testing::body_json(call("GET", stream_uri(id), &host, {}, short_window))["stream"]["viewers"] == 0;
    }, 10));
    BOOST_TEST(db().exec("SELECT viewer_peak FROM live_streams WHERE id = $1", {id}).get_int(0, 0) == 30);
}

BOOST_AUTO_TEST_CASE(the_host_or_an_admin_ends_a_stream_and_it_gives_no_more_tokens) {
    auto host = user("Host", "prime"), viewer = user("Viewer"), admin = user("Root", "free", "admin");
    const long long id = start(host)["stream"]["id"];
    auto by_viewer = call("POST", stream_uri(id, "/end"), &viewer);
    BOOST_TEST(by_viewer.status == 403);
    auto ended = call("POST", stream_uri(id, "/end"), &host);
    BOOST_TEST_REQUIRE(ended.status == 200, ended.body);
    BOOST_TEST(testing::body_json(ended)["stream"]["status"] == "ended");
    BOOST_TEST(testing::body_json(ended)["stream"]["ended_at"].is_string());
    // The room hears "ended" once, through the outbox, however often it is ended.
    BOOST_TEST(call("POST", stream_uri(id, "/end"), &host).status == 200);
    auto events = db().exec("SELECT payload FROM outbox WHERE kind = 'realtime' AND dedupe_key = $1", {"live-ended:" + std::to_string(id)});
    BOOST_TEST_REQUIRE(events.rows() == 1);
    Json event = Json::parse(events.get(0, 0));
    BOOST_TEST(event["channel"] == "room-live-" + std::to_string(id));
    BOOST_TEST(event["event"]["type"] == "ended");
    // No token refresh and no heartbeats for an ended stream; it is off the list.
    for (const auto* who : {&host, &viewer}) {
        auto t = call("GET", stream_uri(id, "/token"), who);
        BOOST_TEST(t.status == 409);
        BOOST_TEST(error_code(t) == "stream_ended");
        BOOST_TEST(call("POST", stream_uri(id, "/heartbeat"), who).status == 409);
    }
    const Json listed = testing::body_json(call("GET", streams + "?limit=50", &viewer));
    for (const auto& s : listed["items"]) BOOST_TEST(s["id"] != id);
    // The host can go live again: a new stream. An admin ends it (audited).
    const long long next = start(host)["stream"]["id"];
    BOOST_TEST(next != id);
    BOOST_TEST(call("POST", stream_uri(next, "/end"), &admin).status == 200);
    BOOST_TEST(db().exec("SELECT count(*) FROM audit_log WHERE action = 'live.end' AND subject_id = $1", {std::to_string(next)}).get_int(0, 0) == 1);
}

BOOST_AUTO_TEST_CASE(the_stream_shows_the_hosts_running_total_of_approved_tips) {
    auto host = user("Host", "prime"), fan = user("Fan");
    const long long id = start(host)["stream"]["id"];
    BOOST_TEST(testing::body_json(call("GET", stream_uri(id), &fan))["stream"]["donations"] == Json::object());
    for (const auto& [amount, currency, state] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"5", "USD", "approved"}, {"10", "USD", "approved"}, {"20", "USD", "reversed"}, {"2", "USD", "pending"}, {"5000", "COP", "approved"}})
        db().exec("INSERT INTO payment_records (invoice, user_id, purpose, amount, currency, state, live_stream_id) "
                  "VALUES ($1, $2, 'donation', $3::numeric, $4, $5, $6)",
                  {"TIP-" + std::to_string(testing::unique_number()), fan.id, amount, currency, state, id});
    Json donations = testing::body_json(call("GET", stream_uri(id), &fan))["stream"]["donations"];
    BOOST_TEST(donations["USD"] == "15.00");
    BOOST_TEST(donations["COP"] == "5000.00");
    BOOST_TEST(donations.size() == 2u);
}
