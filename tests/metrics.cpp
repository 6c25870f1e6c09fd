// common/metrics (the pool files every worker of a function shares) and functions/metrics (the
// exposition), called directly against the run's PostgreSQL. Through nginx and multiwatch:
// serial_stack.
#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "../functions/metrics/handler.hpp"
#include "metrics.hpp"
#include "testing.hpp"

using namespace std::chrono_literals;
using testing::make_request;

namespace {

const std::vector<pnptv::RouteSpec> table = {{"GET", "/things", {}}, {"POST", "/things/:id", {}}};

const pnptv::RequestSeries* find(const std::vector<pnptv::RequestSeries>& all, const std::string& function,
                                 const std::string& route, int status) {
    for (const auto& s : all)
        if (s.function == function && s.route == route && s.status == status) return &s;
    return nullptr;
}

uint64_t bucket_total(const pnptv::RequestSeries& s) {
    uint64_t n = 0;
    for (auto b : s.buckets) n += b;
    return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(workers_of_a_pool_add_to_one_file_and_a_restart_keeps_the_counts) {
    const std::string dir = testing::temp_dir() + "/metrics";
    // Four processes, as a pool's workers are: each maps the file itself and records 1,000 requests.
    std::vector<pid_t> workers;
    for (int w = 0; w < 4; ++w) {
        pid_t pid = fork();
        BOOST_TEST_REQUIRE(pid >= 0);
        if (pid == 0) {
            auto m = pnptv::PoolMetrics::open(dir, "things", table);
            for (int i = 0; i < 1000; ++i) m->record(i % 2, i % 2 ? "POST" : "GET", i % 2 ? 201 : 200, std::chrono::microseconds(300 + i));
            _exit(0);
        }
        workers.push_back(pid);
    }
    for (pid_t pid : workers) {
        int status = 0;
        BOOST_TEST_REQUIRE(waitpid(pid, &status, 0) == pid);
        BOOST_TEST_REQUIRE(WIFEXITED(status));
        BOOST_TEST_REQUIRE(WEXITSTATUS(status) == 0);
    }
    BOOST_TEST(testing::files_under(dir).size() == 1u);
    auto all = pnptv::read_request_series(dir);
    BOOST_TEST_REQUIRE(all.size() == 2u);
    const auto* get = find(all, "things", "/things", 200);
    BOOST_TEST_REQUIRE(get);
    BOOST_TEST(get->method == "GET");
    BOOST_TEST(get->count == 2000u);
    BOOST_TEST(bucket_total(*get) == 2000u);
    const auto* post = find(all, "things", "/things/:id", 201);
    BOOST_TEST_REQUIRE(post);
    BOOST_TEST(post->count == 2000u);
    // 4 × Σ over odd i < 1000 of (300 + i) µs
    BOOST_TEST(post->sum_seconds == 4 * (500 * 300 + 250000) / 1e6, boost::test_tools::tolerance(1e-9));

    // A replacement worker (same function, same table) maps the same file and goes on counting.
    auto again = pnptv::PoolMetrics::open(dir, "things", table);
    again->record(0, "GET", 200, 1ms);
    BOOST_TEST(find(pnptv::read_request_series(dir), "things", "/things", 200)->count == 2001u);
}

BOOST_AUTO_TEST_CASE(latencies_fall_in_their_buckets_and_odd_statuses_methods_and_paths_are_kept) {
    const std::string dir = testing::temp_dir();
    auto m = pnptv::PoolMetrics::open(dir, "things", table);
    m->record(0, "GET", 200, 400us);   // ≤ 0.5 ms: the first bucket
    m->record(0, "GET", 200, 1ms);     // exactly a bound: that bucket (le is "less or equal")
    m->record(0, "GET", 200, 7s);      // above every bound
    m->record(-1, "GET", 404, 2ms);    // no route's path fits
    m->record(1, "POST", 418, 2ms);    // a status not counted apart
    m->record(0, "DELETE", 405, 1ms);  // the path of GET /things with another method
    m->record(0, "BREW", 405, 1ms);    // a method not counted apart
    auto all = pnptv::read_request_series(dir);
    const auto* s = find(all, "things", "/things", 200);
    BOOST_TEST_REQUIRE(s);
    BOOST_TEST(s->buckets[0] == 1u);
    BOOST_TEST(s->buckets[1] == 1u);
    BOOST_TEST(s->buckets.back() == 1u);
    BOOST_TEST(bucket_total(*s) == 3u);
    BOOST_TEST(find(all, "things", "-", 404));
    BOOST_TEST(find(all, "things", "/things/:id", 0));
    const auto* not_allowed = find(all, "things", "/things", 405);
    BOOST_TEST_REQUIRE(not_allowed);
    BOOST_TEST(not_allowed->method == "DELETE");
    BOOST_TEST(not_allowed->count == 1u);
    size_t others = 0;
    for (const auto& s : all) others += s.method == "other" && s.route == "/things" && s.status == 405;
    BOOST_TEST(others == 1u);
}

BOOST_AUTO_TEST_CASE(a_new_route_table_gets_its_own_file_and_totals_never_go_down) {
    const std::string dir = testing::temp_dir();
    pnptv::PoolMetrics::open(dir, "things", table)->record(0, "GET", 200, 1ms);
    // A release with another method on a path it had: the same layout, the same file.
    auto more_methods = table;
    more_methods.push_back({"DELETE", "/things/:id", {}});
    pnptv::PoolMetrics::open(dir, "things", more_methods)->record(2, "DELETE", 204, 1ms);
    BOOST_TEST(testing::files_under(dir).size() == 1u);
    // The next release added a path: a file of its own; the reader sums both by label.
    auto grown = more_methods;
    grown.insert(grown.begin(), {"GET", "/things/:id/parts", {}});
    auto next = pnptv::PoolMetrics::open(dir, "things", grown);
    next->record(1, "GET", 200, 1ms);
    next->record(3, "DELETE", 204, 1ms);
    BOOST_TEST(testing::files_under(dir).size() == 2u);
    auto all = pnptv::read_request_series(dir);
    BOOST_TEST(find(all, "things", "/things", 200)->count == 2u);
    BOOST_TEST(find(all, "things", "/things/:id", 204)->count == 2u);
}

BOOST_AUTO_TEST_CASE(half_made_and_foreign_files_are_skipped_and_a_bad_folder_is_an_error) {
    const std::string dir = testing::temp_dir();
    pnptv::PoolMetrics::open(dir, "things", table)->record(0, "GET", 200, 1ms);
    std::ofstream(dir + "/torn-0000000000000000.metrics") << std::string(20000, '\0');  // a creator died before its magic
    std::ofstream(dir + "/short.metrics") << "PNPTVMET";
    std::ofstream(dir + "/notes.txt") << "not a pool";
    auto all = pnptv::read_request_series(dir);
    BOOST_TEST(all.size() == 1u);
    BOOST_TEST(pnptv::read_request_series(dir + "/missing").empty());
    std::ofstream(dir + "/file") << "x";
    BOOST_CHECK_THROW(pnptv::PoolMetrics::open(dir + "/file/sub", "things", table), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(the_exposition_has_requests_latency_denials_and_business_gauges) {
    const std::string dir = testing::temp_dir();
    auto guard = pnptv::PoolMetrics::open(dir, "auth-verify", {{"GET", "/api/webapp/auth/verify", {}}});
    guard->record(0, "GET", 200, 1ms);
    guard->record(0, "GET", 401, 1ms);
    guard->record(0, "GET", 401, 1ms);
    std::string text = metrics::exposition(dir);
    auto has = [&](const std::string& line) {
        BOOST_TEST(text.find("\n" + line + "\n") != std::string::npos, line << " in:\n" << text);
    };
    has("# TYPE pnptv_requests_total counter");
    has("pnptv_requests_total{function=\"auth-verify\",method=\"GET\",route=\"/api/webapp/auth/verify\",status=\"401\"} 2");
    has("pnptv_request_duration_seconds_count{function=\"auth-verify\",method=\"GET\",route=\"/api/webapp/auth/verify\",status=\"200\"} 1");
    has("pnptv_request_duration_seconds_bucket{function=\"auth-verify\",method=\"GET\",route=\"/api/webapp/auth/verify\",status=\"401\",le=\"0.001\"} 2");
    has("pnptv_guard_denials_total{status=\"401\"} 2");
    has("pnptv_database_up 1");
    // Every plan is listed, with or without subscribers (the shared test database: counts vary).
    for (const char* plan : {"prime-monthly-usd", "prime-monthly-cop", "prime-lifetime-usd"})
        BOOST_TEST(text.find("pnptv_subscriptions_active{plan=\"" + std::string(plan) + "\"} ") != std::string::npos, plan);
    for (const char* gauge : {"pnptv_outbox_backlog{kind=\"email\"} ", "pnptv_outbox_dead{kind=\"telegram\"} ",
                              "\npnptv_live_streams ", "\npnptv_outbox_oldest_due_seconds "})
        BOOST_TEST(text.find(gauge) != std::string::npos, gauge);
}

BOOST_AUTO_TEST_CASE(the_route_is_get_only_and_internal) {
    auto settings = testing::settings<metrics::Settings>({{"METRICS_DIR", testing::temp_dir()}});
    auto r = metrics::handle(settings, make_request("GET", "/metrics"));
    BOOST_TEST(r.status == 200);
    BOOST_TEST(*r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    BOOST_TEST(metrics::handle(settings, make_request("POST", "/metrics", "x")).status == 405);
    BOOST_TEST(metrics::handle(settings, make_request("GET", "/metrics/x")).status == 404);
    BOOST_TEST(metrics::handle(settings, make_request("GET", "/metrics?a=%zz")).status == 400);
    BOOST_TEST(metrics::function().routes.at(0).policy.internal);
}
