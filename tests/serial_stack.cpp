// The real stack (tests/support/stack.hpp: PostgreSQL, Redis, nginx, spawn-fcgi + multiwatch
// functions) in a folder of its own on free ports, driven from outside through nginx. One stack
// serves the suite (each test leaves it as it found it); it lives under a folder only its owner
// can enter, as a clone in /root does. Serial: it stops and starts its own PostgreSQL and Redis.
// The outages under load, killed workers and slow clients are serial_faults'.
#define BOOST_TEST_MODULE serial_stack
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <ctime>

#include <fstream>
#include <sstream>
#include <vector>

#include "../functions/chat/handler.hpp"
#include "crypto.hpp"
#include "epayco.hpp"
#include "pg.hpp"
#include "stack.hpp"
#include "telegram_auth.hpp"
#include "testing.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace {

using testing::Stack;

// The suite's stack (tests/support/stack.hpp), started on first use as the README's first command
// (`make run`, a new user on a VPS with a private folder) and stopped at exit. A proxy on this
// host may name the client (the fail2ban test's clients); the radio is for PRIME members only.
Stack& stack() {
    static Stack s("RADIO_LISTENERS=prime TRUSTED_PROXIES=127.0.0.1");
    static const bool checked = [] {
        BOOST_TEST(s.started.find("PNPtv is running at http://127.0.0.1:" + std::to_string(s.port) + "/") != std::string::npos, s.started);
        if (geteuid() == 0) {  // the postgres account can't enter the folder: the cluster lives elsewhere, and says so
            BOOST_TEST(s.started.find("so its cluster is in /var/tmp/pnptv-pg/") != std::string::npos, s.started);
            BOOST_TEST(s.sh("readlink '" + s.dir + "/pg'").output.rfind("/var/tmp/pnptv-pg/", 0) == 0u);
        }
        return true;
    }();
    (void)checked;
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(stack_serves_health_and_survives_outages) {
    Stack& stack = ::stack();

    auto ok = testing::http("GET", stack.url("/health"));
    BOOST_TEST(ok.status == 200);
    BOOST_TEST(testing::body_json({200, {}, {}, ok.body})["postgres"] == "ok");
    BOOST_TEST(ok.header("x-content-type-options").value_or("") == "nosniff");
    BOOST_TEST(ok.header("referrer-policy").value_or("") == "strict-origin-when-cross-origin");
    BOOST_TEST(ok.header("content-security-policy").value_or("").find("frame-ancestors 'self'") != std::string::npos);
    BOOST_TEST(ok.header("server").value_or("") == "nginx");  // no version
    BOOST_TEST(ok.header("x-request-id").value_or("").size() == 32u);

    // The client's request id is carried through when well-formed.
    auto rid = testing::http("GET", stack.url("/health"), {}, {"X-Request-Id: trace-abc.1"});
    BOOST_TEST(rid.header("x-request-id").value_or("") == "trace-abc.1");

    // PostgreSQL down: 503 naming it, quickly; back up: 200 again on the same workers.
    BOOST_TEST_REQUIRE(stack.sh("pg_stop \"$STACK_RUN_DIR\"").status == 0);
    for (int i = 0; i < 3; ++i) {  // every worker, not just the first to answer
        auto down = testing::http("GET", stack.url("/health"));
        BOOST_TEST(down.status == 503);
        BOOST_TEST(down.seconds < 1.0);
        auto j = testing::body_json({503, {}, {}, down.body});
        BOOST_TEST(j["postgres"] != "ok");
        BOOST_TEST(j["redis"] == "ok");
        BOOST_TEST(j["error"]["message"].get<std::string>().find("postgres") != std::string::npos);
    }
    BOOST_TEST_REQUIRE(stack.sh("pg_start \"$STACK_RUN_DIR\" \"$STACK_PG_PORT\"").status == 0);
    BOOST_TEST(testing::http("GET", stack.url("/health")).status == 200);

    // Redis down: 503 naming it.
    BOOST_TEST_REQUIRE(stack.sh("redis_stop \"$STACK_RUN_DIR\"").status == 0);
    auto no_redis = testing::http("GET", stack.url("/health"));
    BOOST_TEST(no_redis.status == 503);
    BOOST_TEST(no_redis.seconds < 1.0);
    BOOST_TEST(testing::body_json({503, {}, {}, no_redis.body})["redis"] != "ok");
    BOOST_TEST_REQUIRE(stack.sh("redis_start \"$STACK_RUN_DIR\" \"$STACK_REDIS_PORT\" persist").status == 0);
    BOOST_TEST(testing::http("GET", stack.url("/health")).status == 200);
}

namespace {
// A series' value in a scrape, 0 when the series isn't there (nothing counted yet).
double series_value(const std::string& scrape, const std::string& series) {
    size_t at = scrape.find("\n" + series + " ");
    return at == std::string::npos ? 0 : std::stod(scrape.substr(at + series.size() + 2));
}
}  // namespace

BOOST_AUTO_TEST_CASE(metrics_sum_every_worker_of_a_pool_and_survive_a_killed_worker) {
    Stack& stack = ::stack();
    auto scrape = [&] {
        auto r = testing::http("GET", stack.url("/metrics"));
        BOOST_TEST_REQUIRE(r.status == 200, r.body);
        return r.body;
    };
    const std::string ok = R"(pnptv_requests_total{function="health",method="GET",route="/health",status="200"})";
    // A 405 counts under the path's route, with the method asked for.
    const std::string refused = R"(pnptv_requests_total{function="health",method="POST",route="/health",status="405"})";
    const std::string slow = R"(pnptv_request_duration_seconds_count{function="health",method="GET",route="/health",status="200"})";
    const std::string denied = R"(pnptv_guard_denials_total{status="401"})";
    const std::string before = scrape();

    // Known traffic over both workers of the pool (nginx spreads connections between them).
    for (int i = 0; i < 40; ++i) BOOST_TEST_REQUIRE(testing::http("GET", stack.url("/health")).status == 200);
    for (int i = 0; i < 7; ++i) BOOST_TEST_REQUIRE(testing::http("POST", stack.url("/health"), "{}").status == 405);
    for (int i = 0; i < 3; ++i) BOOST_TEST_REQUIRE(testing::http("GET", stack.url("/hub/")).status == 302);
    auto workers = stack.sh("pgrep -P $(cat \"$STACK_RUN_DIR/pids/health.pid\") | sort");
    BOOST_TEST_REQUIRE(std::count(workers.output.begin(), workers.output.end(), '\n') == 2, workers.output);

    // One worker killed outright: multiwatch starts another, and nothing counted is lost.
    const std::string victim = workers.output.substr(0, workers.output.find('\n'));
    BOOST_TEST_REQUIRE(stack.sh("kill -9 " + victim).status == 0);
    BOOST_TEST_REQUIRE(testing::wait_for([&] {
        auto now = stack.sh("pgrep -P $(cat \"$STACK_RUN_DIR/pids/health.pid\")").output;
        return std::count(now.begin(), now.end(), '\n') == 2 && now.find(victim + "\n") == std::string::npos;
    }));
    for (int i = 0; i < 40; ++i) BOOST_TEST_REQUIRE(testing::http("GET", stack.url("/health")).status == 200);

    const std::string after = scrape();
    BOOST_TEST(series_value(after, ok) - series_value(before, ok) == 80);
    BOOST_TEST(series_value(after, slow) - series_value(before, slow) == 80);
    BOOST_TEST(series_value(after, refused) - series_value(before, refused) == 7);
    BOOST_TEST(series_value(after, denied) - series_value(before, denied) == 3);
    BOOST_TEST(stack.sh("ls \"$STACK_RUN_DIR\"/metrics/health-*.metrics | wc -l").output == "1\n");

    // The business gauges are PostgreSQL's rows (this stack's own database).
    BOOST_TEST_REQUIRE(stack.sh("psql \"$(pg_url \"$STACK_RUN_DIR\")\" -tAqc \"INSERT INTO outbox (kind, payload, dead_at) "
                                "VALUES ('email', '{}', now()), ('email', '{}', now())\"").status == 0);
    const std::string gauges = scrape();
    BOOST_TEST(series_value(gauges, R"(pnptv_outbox_dead{kind="email"})") - series_value(after, R"(pnptv_outbox_dead{kind="email"})") == 2);
    BOOST_TEST(gauges.find("\npnptv_database_up 1\n") != std::string::npos);
    BOOST_TEST_REQUIRE(stack.sh("psql \"$(pg_url \"$STACK_RUN_DIR\")\" -tAqc \"DELETE FROM outbox WHERE kind = 'email' AND payload = '{}'\"").status == 0);

    // Internal: from an address that is not the host's own (nor INTERNAL_ALLOW's), nginx refuses.
    auto outside = stack.sh("curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 '" + stack.url("/metrics") + "'");
    BOOST_TEST(outside.output == "403");
}

BOOST_AUTO_TEST_CASE(invoke_runs_a_function_in_cgi_mode) {
    Stack& stack = ::stack();
    auto r = stack.sh("PNPTV_ENV_FILE=\"$STACK_RUN_DIR/env\" scripts/invoke health GET /health 2>/dev/null");
    BOOST_TEST(r.status == 0, r.output);
    BOOST_TEST(r.output.rfind("HTTP/1.1 200 OK\r\n", 0) == 0u, r.output);  // the status line first
    BOOST_TEST(r.output.find("\"postgres\":\"ok\"") != std::string::npos);
    auto bad = stack.sh("PNPTV_ENV_FILE=\"$STACK_RUN_DIR/env\" scripts/invoke health DELETE /health || echo rc=$?");
    BOOST_TEST(bad.output.find("HTTP/1.1 405") != std::string::npos, bad.output);
    BOOST_TEST(bad.output.find("rc=22") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sigterm_stops_an_idle_worker_cleanly) {
    std::string dir = testing::temp_dir();
    auto r = testing::shell(
        "sock='" + dir + "/h.sock'\n"
        "DATABASE_URL=postgresql:///x REDIS_URL=redis://127.0.0.1:1/0 spawn-fcgi -n -s \"$sock\" -- \"$PWD/$BUILD/bin/health\" &\n"
        "pid=$!\n"
        // Idle in its accept loop once it has answered a request (503: no database behind it).
        "for i in $(seq 100); do REQUEST_METHOD=GET REQUEST_URI=/health cgi-fcgi -bind -connect \"$sock\" 2>/dev/null "
        "| grep -q '^Status: 503' && break; sleep 0.05; done\n"
        "kill -TERM $pid\n"
        "wait $pid && echo exit=0 || echo exit=$?");
    BOOST_TEST(r.output.find("exit=0") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(a_function_without_its_settings_refuses_to_start) {
    auto r = testing::shell("env -i PATH=\"$PATH\" \"$BUILD/bin/health\" </dev/null || echo exit=$?");
    BOOST_TEST(r.output.find("DATABASE_URL") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("exit=2") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(production_nginx_config_passes_nginx_t) {
    std::string dir = testing::temp_dir();
    auto r = testing::shell(
        "d='" + dir + "'\n"
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=pnptv.test -days 1 -keyout $d/key.pem -out $d/cert.pem 2>/dev/null\n"
        "scripts/nginx-conf production --trusted-proxies 10.0.0.0/8,192.0.2.7 --socket-dir /run/pnptv --server-name pnptv.test "
        "--tls-cert $d/cert.pem --tls-key $d/key.pem --folder UPLOADS_DIR=/srv/pnptv/uploads --folder MEDIA_DIR=/srv/pnptv/media "
        "--out $d/site.conf\n"
        "mkdir -p $d/tmp/body $d/tmp/proxy $d/tmp/fastcgi $d/tmp/uwsgi $d/tmp/scgi\n"
        // The local main config includes $d/site.conf: the production site, its logs kept here.
        "sed -e \"s|@RUN_DIR@|$d|g\" -e 's|@USER@||' nginx/nginx.conf.in > $d/nginx.conf\n"
        "sed -i -e \"s|/var/log/nginx/|$d/|\" -e \"s|unix:/run/pnptv/nchan.sock|unix:$d/nchan.sock|\" $d/site.conf\n"
        "nginx -t -q -p $d -c $d/nginx.conf && echo nginx-t-ok\n"
        "echo stapling=$(grep -c 'ssl_stapling on;' $d/site.conf) brotli=$(grep -c 'brotli on;' $d/site.conf) "
        "gzip=$(grep -c 'gzip on;' $d/site.conf)\n"
        "echo real_ip=$(grep -c 'set_real_ip_from' $d/site.conf) hsts=$(grep -c 'add_header Strict-Transport-Security' $d/site.conf)"
        " tls=$(grep -c 'listen 443 ssl' $d/site.conf) redirect=$(grep -c 'return 301 https://' $d/site.conf)\n"
        "echo media=$(grep -A1 'location ^~ /__media/' $d/site.conf | tr -s ' ' | tr '\\n' ' ')\n"
        // An upload may pause a minute between two reads; a JSON body, the server's 10 s.
        "echo upload_timeout=$(grep -A3 'location = /api/webapp/profile/avatar {' $d/site.conf | grep -c 'client_body_timeout 60s;') "
        "json_timeout=$(grep -A3 'location = /api/webapp/profile {' $d/site.conf | grep -c 'client_body_timeout') "
        "server_timeout=$(grep -c '^    client_body_timeout 10s;' $d/site.conf)\n"
        "scripts/nginx-conf production --socket-dir /run/pnptv --tls-cert $d/cert.pem --tls-key $d/key.pem --out $d/none.conf "
        "|| echo refused=$?");
    BOOST_TEST(r.output.find("nginx-t-ok") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("\nreal_ip=2 ") != std::string::npos, r.output);  // the two trusted proxies
    BOOST_TEST(r.output.find("stapling=1 brotli=1 gzip=1") != std::string::npos, r.output);
    BOOST_TEST(r.output.find(" tls=1 redirect=1") != std::string::npos, r.output);
    // The media folder only through X-Accel-Redirect; a folder the table names must be given.
    BOOST_TEST(r.output.find("media= location ^~ /__media/ { internal;") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("give it as --folder") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("refused=1") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("upload_timeout=1 json_timeout=0 server_timeout=1") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(the_guard_protects_pages_through_nginx) {
    Stack& stack = ::stack();
    for (const char* page : {"/hub/", "/media/", "/hangouts/", "/portal/"}) {
        auto anon = testing::http("GET", stack.url(page));
        BOOST_TEST(anon.status == 302, page);
        BOOST_TEST(anon.header("location").value_or("") == "/auth/?redirect=" + pnptv::percent_encode(page));
    }
    auto anon = testing::http("GET", stack.url("/hub/?tab=feed"));
    BOOST_TEST(anon.header("location").value_or("") == "/auth/?redirect=%2Fhub%2F%3Ftab%3Dfeed");
    BOOST_TEST(testing::http("GET", stack.url("/auth/")).status == 200);  // the login page is public

    std::string cookie = stack.log_in(3000000001);
    auto hub = testing::http("GET", stack.url("/hub/"), {}, {"Cookie: " + cookie, "X-User-Role: admin", "X-User-Id: 999999"});
    BOOST_TEST(hub.status == 200);
    BOOST_TEST(hub.body.find("id=\"feed\"") != std::string::npos);  // the hub page itself
    BOOST_TEST(hub.header("x-user-role").value_or("") == "user");  // never the client's value
    const std::string user_id = hub.header("x-user-id").value_or("");
    BOOST_TEST(pnptv::parse_id(user_id).has_value(), user_id);  // the guard's own value …
    BOOST_TEST(user_id != "999999");                             // … never the client's
    BOOST_TEST(hub.header("content-security-policy").value_or("").find("https://web.telegram.org") != std::string::npos);
    // POST to a page: the guard still runs as a bodiless GET (a POST would reach auth-verify as a
    // 405, which auth_request turns into a 500); the page itself then only allows GET.
    auto post = testing::http("POST", stack.url("/hub/"), "x=1", {"Cookie: " + cookie});
    BOOST_TEST(post.status == 405, post.body);
    BOOST_TEST(testing::body_json({405, {}, {}, post.body})["error"]["code"] == "method_not_allowed");
    BOOST_TEST(testing::http("POST", stack.url("/hub/"), "x=1").status == 302);  // no session: to the login page

    auto me = testing::http("GET", stack.url("/api/webapp/auth/me"), {}, {"Cookie: " + cookie});
    BOOST_TEST(me.status == 200);
    BOOST_TEST(me.header("set-cookie").value_or("").find("HttpOnly") != std::string::npos);

    // make-admin: the role shows at the next page load.
    auto admin = stack.sh("PNPTV_ENV_FILE=\"$STACK_RUN_DIR/env\" scripts/make-admin 3000000001");
    BOOST_TEST(admin.status == 0, admin.output);
    BOOST_TEST(testing::http("GET", stack.url("/hub/"), {}, {"Cookie: " + cookie}).header("x-user-role").value_or("") == "admin");
    auto again = stack.sh("PNPTV_ENV_FILE=\"$STACK_RUN_DIR/env\" scripts/make-admin 3000000001");
    BOOST_TEST(again.output.find("already") != std::string::npos, again.output);
    auto audit = stack.sh("psql \"$(pg_url \"$STACK_RUN_DIR\")\" -tAc \"SELECT count(*) FROM audit_log WHERE action = 'user.make_admin'\"");
    BOOST_TEST(audit.output.find("1") == 0u, audit.output);
    auto nobody = stack.sh("PNPTV_ENV_FILE=\"$STACK_RUN_DIR/env\" scripts/make-admin 42 || echo exit=$?");
    BOOST_TEST(nobody.output.find("exit=1") != std::string::npos, nobody.output);

    // A browser on another site riding the cookie is refused; the site's own pages are not.
    auto evil = testing::http("POST", stack.url("/api/webapp/auth/logout"), {}, {"Cookie: " + cookie, "Origin: https://evil.example"});
    BOOST_TEST(evil.status == 403);
    BOOST_TEST(testing::body_json({403, {}, {}, evil.body})["error"]["code"] == "cross_site_request");
    BOOST_TEST(testing::http("GET", stack.url("/hub/"), {}, {"Cookie: " + cookie}).status == 200);  // still logged in

    // Logout through nginx: the same cookie no longer opens the page.
    BOOST_TEST(testing::http("POST", stack.url("/api/webapp/auth/logout"), {}, {"Cookie: " + cookie}).status == 200);
    BOOST_TEST(testing::http("GET", stack.url("/hub/"), {}, {"Cookie: " + cookie}).status == 302);
}

BOOST_AUTO_TEST_CASE(uploads_and_videos_are_served_by_nginx_itself) {
    Stack& stack = ::stack();
    const std::string cookie = stack.log_in(3000000002);
    // An avatar through nginx and the function; nginx serves the file from UPLOADS_DIR, cached.
    const std::string boundary = "stackBoundary";
    auto form = [&](const std::string& bytes) {
        return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\n\r\n" + bytes + "\r\n--" +
               boundary + "--\r\n";
    };
    const std::vector<std::string> upload_headers = {"Cookie: " + cookie, "Content-Type: multipart/form-data; boundary=" + boundary};
    auto up = testing::http("POST", stack.url("/api/webapp/profile/avatar"), form(testing::fixture("photo.png")), upload_headers, 20000);
    BOOST_TEST_REQUIRE(up.status == 200, up.body);
    const std::string large = testing::body_json({200, {}, {}, up.body})["profile"]["avatar"]["large"];
    auto file = testing::http("GET", stack.url(large));
    BOOST_TEST(file.status == 200);
    BOOST_TEST(file.header("content-type").value_or("") == "image/webp");
    BOOST_TEST(file.header("cache-control").value_or("") == "public, max-age=604800");
    BOOST_TEST(file.header("x-content-type-options").value_or("") == "nosniff");
    BOOST_TEST(file.body.compare(0, 4, "RIFF") == 0);
    auto listing = testing::http("GET", stack.url("/uploads/"));  // no listing
    BOOST_TEST(listing.status == 403);
    BOOST_TEST(testing::body_json({403, {}, {}, listing.body})["error"]["code"] == "forbidden");
    BOOST_TEST_REQUIRE(stack.sh("mkdir -p \"$STACK_RUN_DIR/uploads/.staging/x\" && echo half >\"$STACK_RUN_DIR/uploads/.staging/x/512.webp\"").status == 0);
    BOOST_TEST(testing::http("GET", stack.url("/uploads/.staging/x/512.webp")).status == 404);  // a conversion's leftovers
    auto big = testing::http("POST", stack.url("/api/webapp/profile/avatar"), form(std::string(6 * 1024 * 1024, 'x')), upload_headers, 20000);
    BOOST_TEST(big.status == 413);
    BOOST_TEST(testing::body_json({413, {}, {}, big.body})["error"]["code"] == "body_too_large");

    // A PRIME-only video: its file in MEDIA_DIR (the stack's default), its row in the catalogue.
    auto placed = stack.sh("mkdir -p \"$STACK_RUN_DIR/media/clips\" && head -c 100000 /dev/urandom >\"$STACK_RUN_DIR/media/clips/v.mp4\" && "
                           "psql \"$(pg_url \"$STACK_RUN_DIR\")\" -tAqc \"INSERT INTO videos (title, category, file_path, prime_only, published_at) "
                           "VALUES ('Stack clip', 'featured', 'clips/v.mp4', true, now()) RETURNING id\"");
    BOOST_TEST_REQUIRE(placed.status == 0, placed.output);
    const std::string id = testing::last_line(placed.output);
    const std::string bytes = testing::shell("cat \"" + stack.dir + "/media/clips/v.mp4\"").output;
    BOOST_TEST_REQUIRE(bytes.size() == 100000u);
    const std::string play = stack.url("/api/webapp/videos/" + id + "/play");
    auto refused = testing::http("GET", play, {}, {"Cookie: " + cookie, "Range: bytes=0-99"});
    BOOST_TEST_REQUIRE(refused.status == 403, refused.seconds << " " << stack.sh("tail -n 5 \"$STACK_RUN_DIR\"/logs/videos.log \"$STACK_RUN_DIR\"/nginx/error.log").output);
    BOOST_TEST(testing::body_json({403, {}, {}, refused.body})["error"]["code"] == "prime_required");
    BOOST_TEST(refused.body.find(bytes.substr(0, 16)) == std::string::npos);  // not a byte of it
    BOOST_TEST(testing::http("GET", stack.url("/__media/clips/v.mp4")).status == 404);  // the media root is never reachable
    BOOST_TEST(testing::http("GET", stack.url("/__media/clips/v.mp4"), {}, {"Cookie: " + cookie}).status == 404);
    // PRIME (the guard's record follows the database through authz-worker): nginx streams it, seeking works.
    BOOST_TEST_REQUIRE(stack.sh("psql \"$(pg_url \"$STACK_RUN_DIR\")\" -tAc \"UPDATE users SET tier = 'prime' WHERE telegram_id = 3000000002\"")
                           .status == 0);
    testing::HttpResult ranged;
    BOOST_TEST_REQUIRE(testing::wait_for([&] {
        ranged = testing::http("GET", play, {}, {"Cookie: " + cookie, "Range: bytes=1000-1999"});
        return ranged.status == 206;
    }));
    BOOST_TEST(ranged.header("content-range").value_or("") == "bytes 1000-1999/100000");
    BOOST_TEST(ranged.header("content-type").value_or("") == "video/mp4");
    BOOST_TEST(ranged.body == bytes.substr(1000, 1000));
    auto whole = testing::http("GET", play, {}, {"Cookie: " + cookie});
    BOOST_TEST(whole.status == 200);
    BOOST_TEST(whole.body == bytes);
    BOOST_TEST(testing::http("GET", play).status == 401);
}

BOOST_AUTO_TEST_CASE(redis_down_never_lets_a_page_through) {
    Stack& stack = ::stack();
    std::string cookie = stack.log_in(3000000002);
    BOOST_TEST(testing::http("GET", stack.url("/hub/"), {}, {"Cookie: " + cookie}).status == 200);
    BOOST_TEST_REQUIRE(stack.sh("redis_stop \"$STACK_RUN_DIR\"").status == 0);
    for (int i = 0; i < 5; ++i) {
        auto r = testing::http("GET", stack.url("/hub/"), {}, {"Cookie: " + cookie});
        BOOST_TEST(r.status != 200);
        BOOST_TEST(r.status == 302);  // to the login page: fail closed
    }
    auto verify = testing::http("GET", stack.url("/api/webapp/auth/verify"), {}, {"Cookie: " + cookie});
    BOOST_TEST(verify.status == 401);
    // Logged once per burst, not per request.
    auto log = stack.sh("grep -c guard_redis_unavailable \"$STACK_RUN_DIR/logs/auth-verify.log\" || true");
    BOOST_TEST(std::stoi(log.output) <= 2, log.output);  // at most once per worker
    BOOST_TEST_REQUIRE(stack.sh("redis_start \"$STACK_RUN_DIR\" \"$STACK_REDIS_PORT\" persist").status == 0);
    BOOST_TEST(testing::http("GET", stack.url("/hub/"), {}, {"Cookie: " + cookie}).status == 200);  // AOF kept the session
}

BOOST_AUTO_TEST_CASE(epayco_confirmations_through_nginx_under_races_and_outages) {
    // The fake ePayco validation endpoint the stack was started with (EPAYCO_API_BASE).
    std::string fake_dir = testing::temp_dir();
    const std::string& fake_url = ::stack().fake;
    Stack& stack = ::stack();
    std::string db_url = testing::last_line(stack.sh("pg_url \"$STACK_RUN_DIR\"").output);
    pnptv::Pg pg(db_url);
    long long user = pg.exec("INSERT INTO users (telegram_id, first_name, email, age_verified_at) "
                             "VALUES (3000000100, 'Payer', 'payer@example.test', now()) RETURNING id").get_int(0, 0);
    auto record = [&](const std::string& invoice) {
        return pg.exec("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency) "
                       "VALUES ($1, $2, 'prime-monthly-usd', 10.00, 'USD') RETURNING id", {invoice, user}).get_int(0, 0);
    };
    auto confirmation_form = [&](long long rec, const std::string& invoice, const std::string& ref) {
        std::string sig = pnptv::epayco_signature("12345", "testkey123", ref, "TX-" + ref, "10.00", "USD");
        pnptv::Json data = {{"x_cust_id_cliente", "12345"}, {"x_ref_payco", ref}, {"x_id_invoice", invoice},
                            {"x_amount", "10.00"}, {"x_currency_code", "USD"}, {"x_transaction_id", "TX-" + ref},
                            {"x_cod_transaction_state", "1"}, {"x_extra1", std::to_string(user)},
                            {"x_extra2", "prime-monthly-usd"}, {"x_extra3", std::to_string(rec)}, {"x_signature", sig}};
        testing::http("POST", fake_url + "/__validation", pnptv::Json({{ref, data}}).dump());
        std::string form;
        for (auto& [k, v] : data.items()) form += (form.empty() ? "" : "&") + k + "=" + v.get<std::string>();
        return form;
    };

    // 50 deliveries of the same approval at once, through nginx: one activation, one of each message.
    long long rec = record("PNP-RACE00000001");
    std::string form = confirmation_form(rec, "PNP-RACE00000001", "7700001");
    std::ofstream(fake_dir + "/form") << form;
    auto race = stack.sh("seq 50 | xargs -P 50 -I{} curl -s -o /dev/null -w '%{http_code}\\n' -X POST "
                         "-H 'Content-Type: application/x-www-form-urlencoded' --data-binary @" + fake_dir + "/form " +
                         stack.url("/api/webhook/epayco") + " | sort | uniq -c");
    BOOST_TEST(race.output.find("50 200") != std::string::npos, race.output);
    // payment-worker, woken by the claim, asks ePayco once and applies its answer.
    auto state_of = [](pnptv::Pg& db, long long id) { return db.exec("SELECT state FROM payment_records WHERE id = $1", {id}).get(0, 0); };
    BOOST_TEST(testing::wait_for([&] { return state_of(pg, rec) == "approved"; }, 5));
    BOOST_TEST(testing::http("GET", fake_url + "/__validation_calls?ref=7700001").body == R"({"count": 1})");
    BOOST_TEST(pg.exec("SELECT count(*) FROM subscriptions WHERE user_id = $1", {user}).get_int(0, 0) == 1);
    BOOST_TEST(pg.exec("SELECT count(*) FROM outbox WHERE user_id = $1 AND kind = 'telegram'", {user}).get_int(0, 0) == 1);
    BOOST_TEST(pg.exec("SELECT count(*) FROM outbox WHERE user_id = $1 AND kind = 'email'", {user}).get_int(0, 0) == 1);

    // PostgreSQL down: 503 (JSON) so ePayco retries, nothing half-done; back up: the retry applies.
    long long rec2 = record("PNP-OUTAGE000002");
    std::string form2 = confirmation_form(rec2, "PNP-OUTAGE000002", "7700002");
    BOOST_TEST_REQUIRE(stack.sh("pg_stop \"$STACK_RUN_DIR\"").status == 0);
    auto down = testing::http("POST", stack.url("/api/webhook/epayco"), form2, {"Content-Type: application/x-www-form-urlencoded"});
    BOOST_TEST(down.status == 503);
    BOOST_TEST(testing::body_json({503, {}, {}, down.body})["error"]["code"] == "database_unavailable");
    BOOST_TEST_REQUIRE(stack.sh("pg_start \"$STACK_RUN_DIR\" \"$STACK_PG_PORT\"").status == 0);
    pnptv::Pg pg2(db_url);
    BOOST_TEST(pg2.exec("SELECT state FROM payment_records WHERE id = $1", {rec2}).get(0, 0) == "pending");
    BOOST_TEST(pg2.exec("SELECT count(*) FROM payment_references WHERE provider_ref = '7700002'").get_int(0, 0) == 0);
    auto retry = testing::http("POST", stack.url("/api/webhook/epayco"), form2, {"Content-Type: application/x-www-form-urlencoded"});
    BOOST_TEST(retry.status == 200, retry.body);
    BOOST_TEST(testing::wait_for([&] { return state_of(pg2, rec2) == "approved"; }, 10));
}

namespace {
// A browser's realtime subscription through nginx (tests/support/realtime_client.py, in the
// background): `kind` ws or sse; what happens is written to `out`, a line each.
void subscribe(const Stack& stack, const std::string& kind, const std::string& room, const std::string& cookie, const std::string& out) {
    const std::string scheme = kind == "ws" ? "ws" : "http";
    const std::string url = scheme + "://127.0.0.1:" + std::to_string(stack.port) + std::string(chat::subscribe_prefix) + room;
    auto r = testing::shell("/usr/bin/python3 tests/support/realtime_client.py " + kind + " '" + url + "' '" + cookie + "' '" + out +
                            "' 30 </dev/null >/dev/null 2>&1 &");
    BOOST_TEST_REQUIRE(r.status == 0);
}
std::string read_text(const std::string& path) { return testing::shell("cat '" + path + "' 2>/dev/null").output; }
bool has_line(const std::string& path, const std::string& text) { return read_text(path).find(text) != std::string::npos; }
}  // namespace

BOOST_AUTO_TEST_CASE(chat_reaches_websocket_and_eventsource_subscribers_through_nginx) {
    Stack& stack = ::stack();
    const std::string dir = testing::temp_dir();
    const std::string ana = stack.log_in(3000000101), ben = stack.log_in(3000000102),
                      carl = stack.log_in(3000000103);
    BOOST_TEST_REQUIRE(stack.sh("PNPTV_ENV_FILE=\"$STACK_RUN_DIR/env\" scripts/make-admin 3000000101").status == 0);
    const std::string post_uri = stack.url(std::string(chat::rooms_path) + "community/messages");
    auto post = [&](const std::string& cookie, const std::string& text) {
        return testing::http("POST", post_uri, pnptv::Json{{"body", text}}.dump(), {"Cookie: " + cookie, "Content-Type: application/json"});
    };

    subscribe(stack, "ws", "community", ana, dir + "/ana.ws");
    subscribe(stack, "sse", "community", ben, dir + "/ben.sse");
    subscribe(stack, "ws", "community", carl, dir + "/carl.ws");
    subscribe(stack, "ws", "community", "connect.sid=forged", dir + "/nobody.ws");
    subscribe(stack, "sse", "dm-1-2", carl, dir + "/carl-not-member.sse");
    subscribe(stack, "ws", "no-such-room", carl, dir + "/carl-no-room.ws");
    BOOST_TEST_REQUIRE(testing::wait_for([&] {
        return has_line(dir + "/ana.ws", "open") && has_line(dir + "/ben.sse", "open") && has_line(dir + "/carl.ws", "open");
    }));
    // Refused before any channel is opened: no session 401, not a member (or no such room) 403.
    BOOST_TEST(testing::wait_for([&] { return has_line(dir + "/nobody.ws", "refused 401"); }), read_text(dir + "/nobody.ws"));
    BOOST_TEST(testing::wait_for([&] { return has_line(dir + "/carl-not-member.sse", "refused 403"); }));
    BOOST_TEST(testing::wait_for([&] { return has_line(dir + "/carl-no-room.ws", "refused 403"); }));

    // Posted over HTTP, stored, and on both kinds of subscriber at once.
    auto r = post(carl, "hello through nginx");
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    for (const char* who : {"/ana.ws", "/ben.sse", "/carl.ws"})
        BOOST_TEST(testing::wait_for([&] { return has_line(dir + who, "hello through nginx"); }), who);

    // Nothing from outside reaches nchan's publisher or the subscriber check.
    BOOST_TEST(testing::http("POST", stack.url("/channels/room-community"), "{\"forged\":1}").status == 404);
    BOOST_TEST(testing::http("GET", stack.url("/__authorize/chat"), {}, {"Cookie: " + ana}).status == 404);
    // Only GET subscribes: a request with a body there is answered once, its body never read as
    // the connection's next request (nchan alone left it there: request smuggling).
    const std::string inner = "GET /health HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n";
    auto smuggled = testing::shell("/usr/bin/python3 - <<'PY'\nimport socket\ninner = b'" + inner + "'\n"
                                   "s = socket.create_connection(('127.0.0.1', " + std::to_string(stack.port) + "))\n"
                                   "s.sendall(b'POST /api/webapp/chat/ws/community HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nCookie: " + ana +
                                   "\\r\\nContent-Length: ' + str(len(inner)).encode() + b'\\r\\n\\r\\n' + inner)\n"
                                   "s.settimeout(1.5)\ndata = b''\ntry:\n    while True:\n        chunk = s.recv(65536)\n"
                                   "        if not chunk: break\n        data += chunk\nexcept socket.timeout:\n    pass\n"
                                   "print('responses', data.count(b'HTTP/1.1 '), data.split(b'\\r\\n')[0].decode())\nPY");
    BOOST_TEST(smuggled.output.find("responses 1 HTTP/1.1 405") != std::string::npos, smuggled.output);
    auto big = testing::http("POST", stack.url("/api/webapp/chat/ws/community"), std::string(2 << 20, 'x'), {"Cookie: " + ana});
    BOOST_TEST(big.status == 413);
    BOOST_TEST(testing::body_json({413, {}, {}, big.body})["error"]["code"] == "body_too_large", big.body);
    // nginx's publisher socket is writable by anyone who reaches it: only the stack's user does.
    BOOST_TEST(stack.sh("stat -c %a \"$STACK_RUN_DIR/sockets\"").output == "700\n");
    // The check itself, called from outside (even naming a URI), is only a JSON 400.
    auto check = testing::http("GET", stack.url(std::string(chat::authorize_path)), {}, {"Cookie: " + ana, "X-Original-URI: /api/webapp/chat/ws/community"});
    BOOST_TEST(check.status == 400);
    BOOST_TEST(testing::body_json({400, {}, {}, check.body})["error"]["code"] == "bad_request");

    // A mute ends Carl's connection to the room at once; his reconnect is refused.
    auto me = testing::http("GET", stack.url("/api/webapp/auth/me"), {}, {"Cookie: " + carl});
    const long long carl_id = testing::body_json({200, {}, {}, me.body})["user"]["id"];
    auto muted = testing::http("POST", stack.url(std::string(chat::rooms_path) + "community/mutes"),
                               pnptv::Json{{"user_id", carl_id}, {"minutes", 5}}.dump(), {"Cookie: " + ana, "Content-Type: application/json"});
    BOOST_TEST_REQUIRE(muted.status == 200, muted.body);
    BOOST_TEST(testing::wait_for([&] { return has_line(dir + "/carl.ws", "closed"); }, 5), read_text(dir + "/carl.ws"));
    subscribe(stack, "ws", "community", carl, dir + "/carl-again.ws");
    BOOST_TEST(testing::wait_for([&] { return has_line(dir + "/carl-again.ws", "refused 403"); }));

    // A ban ends every connection of Ben's at once, and his cookie opens nothing any more.
    BOOST_TEST_REQUIRE(stack.sh("PNPTV_ENV_FILE=\"$STACK_RUN_DIR/env\" scripts/ban-user 3000000102 test").status == 0);
    BOOST_TEST(testing::wait_for([&] { return has_line(dir + "/ben.sse", "closed"); }, 5), read_text(dir + "/ben.sse"));
    subscribe(stack, "sse", "community", ben, dir + "/ben-again.sse");
    BOOST_TEST(testing::wait_for([&] { return has_line(dir + "/ben-again.sse", "refused 401"); }));
    BOOST_TEST(post(ben, "am I still here?").status == 401);

    // Ana is still connected and hears the next message; a deletion reaches her too.
    auto next = post(ana, "still here");
    BOOST_TEST_REQUIRE(next.status == 201, next.body);
    BOOST_TEST(testing::wait_for([&] { return has_line(dir + "/ana.ws", "still here"); }));
    const long long id = testing::body_json({201, {}, {}, next.body})["message"]["id"];
    auto del = testing::http("DELETE", stack.url(std::string(chat::rooms_path) + "community/messages/" + std::to_string(id)), {}, {"Cookie: " + ana});
    BOOST_TEST_REQUIRE(del.status == 200, del.body);
    BOOST_TEST(testing::wait_for([&] { return has_line(dir + "/ana.ws", "{\"id\":" + std::to_string(id) + ",\"type\":\"deleted\"}"); }),
               read_text(dir + "/ana.ws"));
    BOOST_TEST(!has_line(dir + "/ana.ws", "closed"));

    // A live stream's room: its viewers' pages hear that it ended (the mute was the community's).
    auto started = testing::http("POST", stack.url("/api/webapp/live/streams"), "{\"title\":\"late show\"}",
                                 {"Cookie: " + ana, "Content-Type: application/json"});
    BOOST_TEST_REQUIRE(started.status == 201, started.body);
    const long long stream = testing::body_json({201, {}, {}, started.body})["stream"]["id"];
    subscribe(stack, "ws", "live-" + std::to_string(stream), carl, dir + "/carl-live.ws");
    BOOST_TEST_REQUIRE(testing::wait_for([&] { return has_line(dir + "/carl-live.ws", "open"); }), read_text(dir + "/carl-live.ws"));
    auto end = testing::http("POST", stack.url("/api/webapp/live/streams/" + std::to_string(stream) + "/end"), {}, {"Cookie: " + ana});
    BOOST_TEST_REQUIRE(end.status == 200, end.body);
    BOOST_TEST(testing::wait_for([&] { return has_line(dir + "/carl-live.ws", "\"type\":\"ended\""); }), read_text(dir + "/carl-live.ws"));
}

namespace {
// What fail2ban-regex made of a log with a filter: "<matched> matched" and each match's address.
struct Fail2banRun {
    int matched = -1;
    std::vector<std::string> hosts;
    std::string output;
};
Fail2banRun fail2ban_regex(const std::string& log, const std::string& filter) {
    Fail2banRun run;
    run.output = testing::shell("fail2ban-regex -v '" + log + "' \"$PWD/nginx/fail2ban/filter.d/" + filter + ".conf\"").output;
    std::istringstream lines(run.output);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("Lines: ", 0) == 0) {  // "Lines: 60 lines, 0 ignored, 5 matched, 55 missed"
            const size_t at = line.find(" matched");
            if (at != std::string::npos) run.matched = std::stoi(line.substr(line.rfind(' ', at - 1) + 1));
        } else if (line.rfind("|      ", 0) == 0) {  // "|      203.0.113.7  Fri Nov 27 01:00:00 2026"
            std::istringstream words(line.substr(1));
            std::string host;
            words >> host;
            run.hosts.push_back(host);
        }
    }
    return run;
}
}  // namespace

// Real requests through nginx, each from an address a trusted proxy names (X-Forwarded-For) and
// tagged with a request id; their access log lines are what fail2ban reads in production.
BOOST_AUTO_TEST_CASE(fail2ban_filters_match_failed_logins_and_webhooks_in_the_access_log) {
    Stack& stack = ::stack();
    int sent = 0;
    auto send = [&](const std::string& from, const std::string& method, const std::string& path, const std::string& body = {},
                    std::vector<std::string> headers = {}) {
        headers.push_back("X-Forwarded-For: " + from);
        headers.push_back("X-Request-Id: f2b-" + std::to_string(++sent));
        return testing::http(method, stack.url(path), body, headers);
    };
    const std::string prober = "203.0.113.7", forger = "2001:db8::7", member = "198.51.100.1", sender = "198.51.100.2";
    const std::string json = "Content-Type: application/json", form = "Content-Type: application/x-www-form-urlencoded";
    const std::string token = "123456:TEST-TOKEN-abc";  // env.example's local bot token

    // The prober's failed logins, one of each kind: five lines the auth filter must match.
    auto state = send(prober, "GET", "/api/webapp/auth/telegram/state");
    BOOST_TEST_REQUIRE(state.status == 200);
    std::string state_cookie = state.header("set-cookie").value_or("");
    state_cookie = "Cookie: " + state_cookie.substr(0, state_cookie.find(';'));
    const std::string state_value = testing::body_json({200, {}, {}, state.body})["state"];
    const std::string now = std::to_string(std::time(nullptr));
    const pnptv::Json forged = {{"id", 3000000301}, {"first_name", "Mallory"}, {"auth_date", std::stoll(now)}, {"hash", std::string(64, '0')}};
    BOOST_TEST(send(prober, "POST", "/api/webapp/auth/telegram?state=" + state_value, forged.dump(), {json, state_cookie}).status == 401);
    BOOST_TEST(send(prober, "POST", "/api/webapp/auth/telegram", forged.dump(), {json}).status == 403);  // a login it didn't start
    BOOST_TEST(send(prober, "POST", "/api/webapp/auth/webapp", R"({"initData":"auth_date=1&user=%7B%7D&hash=00"})", {json}).status == 401);
    const std::string fields = "id=3000000301&first_name=Mallory&auth_date=" + now + "&hash=" + std::string(64, '0');
    BOOST_TEST(send(prober, "GET", "/api/webapp/auth/telegram/callback?" + fields + "&state=" + state_value, {}, {state_cookie}).status == 401);
    BOOST_TEST(send(prober, "GET", "/api/webapp/auth/telegram/callback?" + fields).status == 403);

    // What the auth filter must not match: the prober's 401s and 403s on other routes and its
    // malformed login (400); a member's successful login; a flood's 429s on the login route.
    BOOST_TEST(send(prober, "GET", "/api/webapp/auth/me").status == 401);
    BOOST_TEST(send(prober, "GET", "/api/webapp/auth/verify").status == 401);
    BOOST_TEST(send(prober, "POST", "/api/webapp/auth/logout", {}, {"Origin: https://evil.example"}).status == 403);
    BOOST_TEST(send(prober, "POST", "/api/webapp/auth/telegram", "not json", {json}).status == 400);
    auto member_state = send(member, "GET", "/api/webapp/auth/telegram/state");
    std::string member_cookie = member_state.header("set-cookie").value_or("");
    member_cookie = "Cookie: " + member_cookie.substr(0, member_cookie.find(';'));
    pnptv::Pairs f = {{"id", "3000000302"}, {"first_name", "Member"}, {"auth_date", now}};
    const std::string hash = pnptv::to_hex(pnptv::hmac_sha256(pnptv::sha256(token), pnptv::data_check_string(f)));
    const pnptv::Json signed_fields = {{"id", 3000000302}, {"first_name", "Member"}, {"auth_date", std::stoll(now)}, {"hash", hash}};
    const std::string member_state_value = testing::body_json({200, {}, {}, member_state.body})["state"];
    auto login = send(member, "POST", "/api/webapp/auth/telegram?state=" + member_state_value, signed_fields.dump(), {json, member_cookie});
    BOOST_TEST(login.status == 200, login.body);
    // 1,000 at once: beyond both nginx's burst (100) and the function's own limit (100 a minute).
    auto flood = stack.sh("seq 1000 | xargs -P 20 -I{} curl -s -o /dev/null -w '%{http_code}\\n' -X POST -H 'Content-Type: application/json' "
                          "-H 'X-Forwarded-For: 198.51.100.9' -H 'X-Request-Id: f2b-flood-{}' --data 'not json' '" +
                          stack.url("/api/webapp/auth/telegram") + "' | sort | uniq -c");
    BOOST_TEST(flood.output.find(" 429\n") != std::string::npos, flood.output);

    // The forger's webhook calls: four lines the webhook filter must match.
    const std::string update = R"({"update_id":)" + std::to_string(testing::unique_number()) + "}";
    BOOST_TEST(send(forger, "POST", "/webhook/telegram", update, {json, "X-Telegram-Bot-Api-Secret-Token: guessed"}).status == 401);
    BOOST_TEST(send(forger, "POST", "/webhook/telegram", update, {json}).status == 401);
    const std::string ref = std::to_string(7800000 + testing::unique_number() % 100000);
    auto confirmation = [&](const std::string& signature) {
        return "x_cust_id_cliente=12345&x_ref_payco=" + ref + "&x_id_invoice=PNP-F2B000000001&x_amount=10.00&x_currency_code=USD"
               "&x_transaction_id=TX-" + ref + "&x_cod_transaction_state=1&x_signature=" + signature;
    };
    BOOST_TEST(send(forger, "POST", "/api/webhook/epayco", confirmation(std::string(64, 'a')), {form}).status == 400);
    BOOST_TEST(send(forger, "GET", "/api/webhook/epayco?" + confirmation(std::string(64, 'b'))).status == 400);
    // Not to match: the forger's 415, and the real senders' accepted calls.
    BOOST_TEST(send(forger, "POST", "/api/webhook/epayco", "{}", {json}).status == 415);
    BOOST_TEST(send(sender, "POST", "/webhook/telegram", update, {json, "X-Telegram-Bot-Api-Secret-Token: local-webhook-secret"}).status == 200);
    const std::string good = pnptv::epayco_signature("12345", "testkey123", ref, "TX-" + ref, "10.00", "USD");
    BOOST_TEST(send(sender, "POST", "/api/webhook/epayco", confirmation(good), {form}).status == 200);

    // The access log's lines of exactly these requests.
    const std::string sample = testing::temp_dir() + "/access.log";
    // Every answer but a 429 has its line; a 429 has one in 64 (chosen at random), weighing 64.
    int rejected = 0;
    if (size_t at = flood.output.find(" 429\n"); at != std::string::npos)
        rejected = std::stoi(flood.output.substr(flood.output.rfind('\n', at) + 1));
    auto lines = stack.sh("grep -F '\"request_id\":\"f2b-' \"$STACK_RUN_DIR/nginx/access.log\" >'" + sample + "'; "
                          "echo $(grep -vc '\"status\":429,' '" + sample + "') $(grep -c '\"status\":429,.*\"weight\":64}' '" + sample + "')");
    const int answered = sent + 1000 - rejected;
    const int logged_rejections = std::stoi(lines.output.substr(lines.output.find(' ') + 1));
    BOOST_TEST_REQUIRE(lines.output.substr(0, lines.output.find(' ')) == std::to_string(answered), lines.output << " " << flood.output);
    BOOST_TEST(logged_rejections >= 1);  // P(none of ~900) = (63/64)^900 ≈ 7e-7
    BOOST_TEST(logged_rejections <= rejected / 8, logged_rejections << " of " << rejected);
    const std::string text = testing::shell("cat '" + sample + "'").output;
    BOOST_TEST(text.find(R"("remote":"198.51.100.9","method":"POST","uri":"/api/webapp/auth/telegram","status":429,)") != std::string::npos, text);
    BOOST_TEST(text.find(R"("remote":"198.51.100.1","method":"POST","uri":"/api/webapp/auth/telegram","status":200,)") != std::string::npos, text);
    // Every sampled rejection as it was sent (the error page's internal GET would hide it from the filters).
    std::istringstream sample_lines(text);
    for (std::string line; std::getline(sample_lines, line);)
        if (line.find(R"("status":429,)") != std::string::npos)
            BOOST_TEST(line.find(R"("remote":"198.51.100.9","method":"POST","uri":"/api/webapp/auth/telegram","status":429,)") != std::string::npos, line);

    auto auth = fail2ban_regex(sample, "pnptv-auth");
    BOOST_TEST(auth.matched == 5, auth.output);
    BOOST_TEST(auth.hosts == std::vector<std::string>(5, prober), auth.output);
    auto webhooks = fail2ban_regex(sample, "pnptv-webhook");
    BOOST_TEST(webhooks.matched == 4, webhooks.output);
    BOOST_TEST(webhooks.hosts == std::vector<std::string>(4, forger), webhooks.output);
}

BOOST_AUTO_TEST_CASE(fail2ban_jails_load_and_watch_the_production_access_log) {
    const std::string dir = testing::temp_dir();
    // The log the production site writes is the one both jails read.
    auto site = testing::shell("scripts/nginx-conf production --socket-dir /run/pnptv --tls-cert /x/cert.pem --tls-key /x/key.pem "
                               "--folder UPLOADS_DIR=/srv/u --folder MEDIA_DIR=/srv/m --out '" + dir + "/site.conf'\n"
                               "grep -o 'access_log [^ ]* pnptv_json' '" + dir + "/site.conf' | cut -d' ' -f2");
    BOOST_TEST_REQUIRE(site.status == 0, site.output);
    const std::string log = testing::last_line(site.output);
    BOOST_TEST(log == "/var/log/nginx/pnptv.access.log");
    auto logpaths = testing::shell("grep -c '^logpath  = " + log + "$' nginx/fail2ban/jail.d/pnptv.conf");
    BOOST_TEST(logpaths.output == "2\n", logpaths.output);
    // fail2ban's own configuration test: Debian's configuration with the two filters and the
    // jail file added (its log moved here, where it exists).
    auto t = testing::shell("d='" + dir + "/fail2ban'\nmkdir -p \"$d/jail.d\"\n"
                            "cp -r /etc/fail2ban/fail2ban.conf /etc/fail2ban/jail.conf /etc/fail2ban/paths-*.conf /etc/fail2ban/filter.d "
                            "/etc/fail2ban/action.d \"$d/\"\ncp nginx/fail2ban/filter.d/*.conf \"$d/filter.d/\"\n"
                            "sed \"s|" + log + "|$d/access.log|\" nginx/fail2ban/jail.d/pnptv.conf >\"$d/jail.d/pnptv.conf\"\n"
                            "touch \"$d/access.log\"\nfail2ban-client -c \"$d\" -t 2>&1\n"
                            "fail2ban-client -c \"$d\" -d 2>/dev/null | grep -E \"^\\['(add|set)', 'pnptv-[a-z]+', '(auto|maxretry|bantime)'\"");
    BOOST_TEST(t.status == 0, t.output);
    BOOST_TEST(t.output.find("OK: configuration test is successful") != std::string::npos, t.output);
    for (const char* line : {"['add', 'pnptv-auth', 'auto']", "['set', 'pnptv-auth', 'maxretry', 10]", "['set', 'pnptv-auth', 'bantime', '1h']",
                             "['add', 'pnptv-webhook', 'auto']", "['set', 'pnptv-webhook', 'maxretry', 5]"})
        BOOST_TEST(t.output.find(line) != std::string::npos, line << "\n" << t.output);
}

BOOST_AUTO_TEST_CASE(start_refuses_a_function_that_would_refuse_its_settings) {
    Stack& stack = ::stack();
    BOOST_TEST_REQUIRE(stack.sh("kill $(cat \"$STACK_RUN_DIR/pids/chat.pid\") && wait_gone $(cat \"$STACK_RUN_DIR/pids/chat.pid\")").status == 0);
    // It used to report the stack up while multiwatch gave up on workers dying at start-up.
    auto refused = stack.sh("CHAT_MESSAGES_PER_MINUTE=0 scripts/stack start 2>&1 || echo exit=$?");
    BOOST_TEST(refused.output.find("stack: chat refuses its settings") != std::string::npos, refused.output);
    BOOST_TEST(refused.output.find("CHAT_MESSAGES_PER_MINUTE") != std::string::npos, refused.output);
    BOOST_TEST(refused.output.find("exit=1") != std::string::npos, refused.output);
    auto started = stack.sh("scripts/stack start 2>&1 && echo exit=0");
    BOOST_TEST(started.output.find("exit=0") != std::string::npos, started.output);
    BOOST_TEST(testing::http("GET", stack.url("/api/webapp/chat/community/messages")).status == 401);  // chat answers again
}

BOOST_AUTO_TEST_CASE(nginx_streams_the_radio_to_who_may_listen) {
    Stack& stack = ::stack();
    const std::string url = stack.url("/api/webapp/radio/stream");
    auto nobody = testing::http("GET", url);
    BOOST_TEST(nobody.status == 401);
    BOOST_TEST(testing::body_json({401, {}, {}, nobody.body})["error"]["code"] == "unauthenticated");
    const std::string free = stack.log_in(3000000201);
    auto upsell = testing::http("GET", url, {}, {"Cookie: " + free});
    BOOST_TEST(upsell.status == 403);
    BOOST_TEST(upsell.body.find("ID3") == std::string::npos);
    const std::string member = stack.log_in(3000000202);
    BOOST_TEST_REQUIRE(stack.sh("PNPTV_ENV_FILE=\"$STACK_RUN_DIR/env\" scripts/make-admin 3000000202").status == 0);
    auto audio = testing::http("GET", url, {}, {"Cookie: " + member});
    BOOST_TEST(audio.status == 200);
    BOOST_TEST(audio.header("content-type").value_or("") == "audio/mpeg");
    BOOST_TEST(audio.body.rfind("ID3pnptv-radio-bytes", 0) == 0u);
    // The station never sees a session, and nobody reaches it but through the check.
    BOOST_TEST(testing::http("GET", stack.fake + "/__station_cookies").body == "{\"count\": 0}");
    BOOST_TEST(testing::http("GET", stack.url("/__radio/stream"), {}, {"Cookie: " + member}).status == 404);
    auto now = testing::http("GET", stack.url("/api/webapp/radio/now-playing"));
    BOOST_TEST(now.body.find("radio.mp3") == std::string::npos);
    BOOST_TEST(now.body.find("\"stream_url\":\"/api/webapp/radio/stream\"") != std::string::npos, now.body);
}

BOOST_AUTO_TEST_CASE(nginx_answers_bad_requests_with_json) {
    Stack& stack = ::stack();
    auto unknown = testing::http("GET", stack.url("/api/no/such/thing"));
    BOOST_TEST(unknown.status == 404);
    BOOST_TEST(testing::body_json({404, {}, {}, unknown.body})["error"]["code"] == "not_found");

    auto wrong_method = testing::http("POST", stack.url("/health"), "{}", {"Content-Type: application/json"});
    BOOST_TEST(wrong_method.status == 405);
    BOOST_TEST(wrong_method.header("allow").value_or("") == "GET, HEAD");

    auto big = testing::http("POST", stack.url("/health"), std::string(2 << 20, 'x'));
    BOOST_TEST(big.status == 413);
    BOOST_TEST(testing::body_json({413, {}, {}, big.body})["error"]["code"] == "body_too_large");

    auto trace = testing::http("TRACE", stack.url("/health"));
    BOOST_TEST(trace.status == 405);
    BOOST_TEST(testing::body_json({405, {}, {}, trace.body}).contains("error"));

    // The pages a Mini App opens may be framed by Telegram's web client (Mini App); each page's
    // policy lists only what it loads (the login page Telegram's widget, not ePayco), no inline
    // script anywhere, and the API's answers may load nothing at all.
    const std::string login_policy = testing::http("GET", stack.url("/auth/")).header("content-security-policy").value_or("");
    BOOST_TEST(login_policy.find("frame-ancestors 'self' https://web.telegram.org") != std::string::npos, login_policy);
    BOOST_TEST(login_policy.find("script-src 'self' https://telegram.org;") != std::string::npos, login_policy);
    BOOST_TEST(login_policy.find("epayco") == std::string::npos, login_policy);
    BOOST_TEST(login_policy.find("unsafe-inline") == std::string::npos, login_policy);
    const std::string pay_policy = testing::http("GET", stack.url("/pay/")).header("content-security-policy").value_or("");
    BOOST_TEST(pay_policy.find("script-src 'self' " + stack.fake) != std::string::npos, pay_policy);  // EPAYCO_CHECKOUT_BASE
    BOOST_TEST(pay_policy.find("telegram.org;") == std::string::npos, pay_policy);
    BOOST_TEST(testing::http("GET", stack.url("/api/payment/plans")).header("content-security-policy").value_or("") ==
               "default-src 'none'; frame-ancestors 'self'");
    // nginx's own 429 says when to come back, and a flood of rejections (or a dead function
    // behind a capability URL) writes none of those URLs' query strings to the error log.
    auto flood = stack.sh("seq 300 | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\\n' "
                          "'" + stack.url("/api/webapp/auth/me?probe=SECRETQUERY{}") + "' | sort | uniq -c");
    BOOST_TEST(flood.output.find(" 429") != std::string::npos, flood.output);
    testing::HttpResult limited;
    BOOST_TEST(testing::wait_for([&] {
        limited = testing::http("GET", stack.url("/api/webapp/auth/me?probe=SECRETQUERY"));
        // nginx's own 429 (the function's, from its Redis counter, says "try again in a minute").
        return limited.status == 429 && limited.body.find("\"rate_limited\"") != std::string::npos &&
               limited.body.find("slow down") != std::string::npos;
    }, 5));
    BOOST_TEST(limited.header("retry-after").value_or("") == "1");
    BOOST_TEST(limited.header("x-content-type-options").value_or("") == "nosniff");
    BOOST_TEST_REQUIRE(stack.sh("kill $(cat \"$STACK_RUN_DIR/pids/payment.pid\") && wait_gone $(cat \"$STACK_RUN_DIR/pids/payment.pid\")").status == 0);
    auto dead = testing::http("GET", stack.url("/api/payment/checkout?u=1&p=x&exp=1&sig=SECRETQUERY"));
    BOOST_TEST(dead.status == 502);
    BOOST_TEST(testing::body_json({502, {}, {}, dead.body})["error"]["code"] == "function_unavailable");
    auto leaked = stack.sh("cat \"$STACK_RUN_DIR\"/nginx/*.log | grep -c SECRETQUERY || true");
    BOOST_TEST(leaked.output == "0\n", leaked.output);
    // A rate-limited upload is a JSON 429 too (the error page accepts the body it discards; it
    // was an HTML 413).
    const std::string upload(2 << 20, 'x');
    testing::HttpResult limited_upload;
    BOOST_TEST(testing::wait_for([&] {
        stack.sh("seq 120 | xargs -P 16 -I{} curl -s -o /dev/null '" + stack.url("/api/payment/plans") + "'");
        limited_upload = testing::http("POST", stack.url("/api/webapp/social/posts"), upload, {"Content-Type: application/json"});
        return limited_upload.status == 429;
    }, 10));
    BOOST_TEST(testing::body_json({429, {}, {}, limited_upload.body})["error"]["code"] == "rate_limited", limited_upload.body);
    // Assets by content hash only (a page names the hashed file), cached for a year.
    const std::string login_page = testing::http("GET", stack.url("/auth/")).body;
    const size_t at = login_page.find("/assets/app.");
    BOOST_TEST_REQUIRE(at != std::string::npos, login_page);
    const std::string css = login_page.substr(at, login_page.find('"', at) - at);
    BOOST_TEST(css.size() == std::string("/assets/app.0123456789.css").size(), css);
    auto asset = testing::http("GET", stack.url(css));
    BOOST_TEST(asset.status == 200);
    BOOST_TEST(asset.header("cache-control").value_or("").find("immutable") != std::string::npos);
    BOOST_TEST(asset.header("x-content-type-options").value_or("") == "nosniff");
    BOOST_TEST(testing::http("GET", stack.url("/assets/app.css")).status == 404);
    // Start again brings back what is down and leaves the rest alone.
    auto again = stack.sh("scripts/stack start");
    BOOST_TEST(again.status == 0, again.output);
    BOOST_TEST(testing::http("GET", stack.url("/api/payment/checkout?u=1&p=x&exp=1&sig=00")).status == 302);
}

// Last: it stops the suite's stack.
BOOST_AUTO_TEST_CASE(the_stack_never_builds_its_run_file_from_itself) {
    const std::string dir = testing::temp_dir();
    BOOST_TEST_REQUIRE(testing::shell("printf 'A=1\\n' >'" + dir + "/env'").status == 0);
    auto r = testing::shell("PNPTV_ENV_FILE='" + dir + "/env' STACK_RUN_DIR='" + dir + "' scripts/stack start || echo rc=$?");
    BOOST_TEST(r.output.find("rc=2") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("the stack's own run file") != std::string::npos, r.output);
    BOOST_TEST(testing::shell("cat '" + dir + "/env'").output == "A=1\n");  // untouched
}

BOOST_AUTO_TEST_CASE(stop_leaves_nothing_running) {
    std::string pids;
    {
        Stack& stack = ::stack();
        auto r = stack.sh("cat \"$STACK_RUN_DIR\"/pids/*.pid \"$STACK_RUN_DIR/nginx/nginx.pid\" \"$STACK_RUN_DIR/redis/redis.pid\"; "
                          "head -n 1 \"$STACK_RUN_DIR/pg/data/postmaster.pid\"; "
                          "for p in $(cat \"$STACK_RUN_DIR\"/pids/*.pid); do pgrep -P $p || true; done");
        BOOST_TEST_REQUIRE(r.status == 0, r.output);
        pids = r.output;
        auto stop = stack.sh("make --no-print-directory stop && make --no-print-directory stop");  // twice is fine
        BOOST_TEST(stop.status == 0, stop.output);
    }
    int checked = 0;
    std::istringstream in(pids);
    for (std::string pid; in >> pid; ++checked) {
        auto state = testing::shell("awk '/^State:/ {print $2}' /proc/" + pid + "/status 2>/dev/null || true").output;
        BOOST_TEST((state.empty() || state.rfind("Z", 0) == 0), "pid " << pid << " still running: " << state);
    }
    BOOST_TEST(checked >= 10);  // postgres, redis, nginx, notify-worker, and each function's multiwatch with its workers
}
