// scripts/deploy on a production-shaped host built in a temp folder: its own PostgreSQL and Redis,
// nginx with the production site (TLS, brotli) on a free port, releases under <root>/releases,
// pools started directly (spawn-fcgi + multiwatch, as the systemd units would). A deploy under
// load loses no request; a release that fails its checks is rolled back by itself. Also the
// systemd units (systemd-analyze verify) and the size-bounded log rotation.
// Serial: it starts nginx and pools of its own and load-tests them.
#define BOOST_TEST_MODULE serial_deploy
#include <boost/test/unit_test.hpp>

#include <string>

#include "testing.hpp"

namespace {

struct Host {
    std::string dir = testing::temp_dir();
    std::string root = dir + "/root";
    int port = testing::free_port();
    // The functions must read the host's settings file, not the test run's services.
    std::string env = "unset DATABASE_URL REDIS_URL\nsource scripts/lib/services.sh\nd='" + dir + "' root='" + root +
                      "' port=" + std::to_string(port) + "\n"
                      "opts=(--root \"$root\" --env \"$d/env\" --run-dir \"$d/run\" --supervisor direct --log-dir \"$d/logs\" "
                      "--site \"$d/ngx/site.conf\" --nginx \"nginx -p $d/ngx -c $d/ngx/nginx.conf\" --nginx-pid \"$d/ngx/nginx.pid\" "
                      "--tls-cert \"$d/cert.pem\" --tls-key \"$d/key.pem\" --https-port $port --http-port " +
                      std::to_string(testing::free_port()) + " --nginx-log-dir \"$d/ngx\" --resolver 127.0.0.1)\n"
                      "get() { curl -sk -m 5 -H 'Host: pnptv.test' \"$@\"; }\n";

    Host() {
        auto r = sh(R"SH(
pg_start "$d" socket-only >/dev/null
pg_createdb "$d" pnptv
redis_start "$d" socket-only
mkdir -p "$root/shared/uploads" "$root/shared/media" "$d"/ngx/tmp/{body,proxy,fastcgi,uwsgi,scgi}
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=pnptv.test -days 1 -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
{ cat env.example
  echo "DATABASE_URL=$(pg_url "$d")"; echo "REDIS_URL=$(redis_url "$d")"
  echo "UPLOADS_DIR=$root/shared/uploads"; echo "MEDIA_DIR=$root/shared/media"
  echo "METRICS_DIR=$d/run/metrics"; echo "NCHAN_PUBLISH_SOCKET=$d/run/nchan.sock"
  echo "PUBLIC_BASE_URL=https://pnptv.test:$port"; echo "COOKIE_SECURE=true"; } >"$d/env"
# The host's nginx, as a distribution runs it: its main config includes the site deploy writes,
# which before the first deploy only holds the port.
sed -e "s|@RUN_DIR@|$d/ngx|g" -e "s|@USER@|user $(id -un) $(id -gn);|" nginx/nginx.conf.in >"$d/ngx/nginx.conf"
echo "server { listen $port; return 503; }" >"$d/ngx/site.conf"
nginx -p "$d/ngx" -c "$d/ngx/nginx.conf" 2>/dev/null
scripts/deploy package --root "$root" --version v1
)SH");
        BOOST_TEST_REQUIRE(r.status == 0, r.output);
    }
    ~Host() {
        sh(R"SH(for p in "$d"/run/*/*.pid; do [ -f "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null; done
nginx -p "$d/ngx" -c "$d/ngx/nginx.conf" -s quit 2>/dev/null
redis_stop "$d"; pg_stop "$d"; pg_forget "$d")SH");
    }
    testing::ShellResult sh(const std::string& script) const { return testing::shell(env + script); }
    // A copy of v1 under another name: a release is a folder, and its name is its version.
    void copy_release(const std::string& version) const {
        BOOST_TEST_REQUIRE(sh("cp -a \"$root/releases/v1\" \"$root/releases/" + version + "\" && echo " + version + " >\"$root/releases/" +
                              version + "/VERSION\"").status == 0);
    }
    std::string current() const { return sh("basename \"$(readlink -f \"$root/current\")\"").output; }
};

Host& host() {
    static Host h;
    return h;
}


}  // namespace

BOOST_AUTO_TEST_CASE(a_release_holds_what_runs_and_a_first_deploy_serves_it_over_tls) {
    Host& h = host();
    auto layout = h.sh("cd \"$root/releases/v1\" && ls && ls bin | wc -l && cat VERSION");
    for (const char* part : {"bin\n", "db\n", "public\n", "scripts\n", "nginx\n", "functions\n", "VERSION\n"})
        BOOST_TEST(layout.output.find(part) != std::string::npos, part << " in " << layout.output);
    BOOST_TEST(layout.output.find("v1\n") != std::string::npos);
    // Never rewritten: a second package under the same version is refused.
    BOOST_TEST(h.sh("scripts/deploy package --root \"$root\" --version v1 || echo refused=$?").output.find("refused=1") != std::string::npos);

    auto r = h.sh("{ scripts/deploy activate \"${opts[@]}\" \"$root/releases/v1\" && echo rc=0 || echo rc=$?; } 2>&1 | grep -v '\\['");
    BOOST_TEST(r.output.find("v1 is active") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("rc=0") != std::string::npos, r.output);
    BOOST_TEST(h.current() == "v1\n");
    BOOST_TEST(h.sh("get \"https://127.0.0.1:$port/health\"").output.find("\"status\":\"ok\"") != std::string::npos);
    // The production site: HSTS, and brotli beside gzip for a browser that asks for it.
    auto headers = h.sh("get -D - -o /dev/null -H 'Accept-Encoding: br, gzip' \"https://127.0.0.1:$port/assets/$(ls \"$root/releases/v1/public/assets\" | grep '^app\\..*\\.js$')\"");
    BOOST_TEST(headers.output.find("content-encoding: br") != std::string::npos, headers.output);
    BOOST_TEST(headers.output.find("strict-transport-security: max-age=31536000") != std::string::npos, headers.output);
    auto gzip = h.sh("get -D - -o /dev/null -H 'Accept-Encoding: gzip' \"https://127.0.0.1:$port/auth/\"");
    BOOST_TEST(gzip.output.find("content-encoding: gzip") != std::string::npos, gzip.output);
}

BOOST_AUTO_TEST_CASE(a_deploy_under_load_loses_no_request_and_stops_the_old_pools) {
    Host& h = host();
    BOOST_TEST_REQUIRE(h.current() == "v1\n");
    h.copy_release("v2");
    // Two clients (an API answer and a page) for 10 s (60 s under make test-system, with a second
    // deploy back and forth), a new connection per request: what a deploy must never break is a
    // request nginx has accepted (see the README on keep-alive).
    const int seconds = testing::short_or_full(10, 60);
    auto r = h.sh("seconds=" + std::to_string(seconds) + "\nfull=" + std::to_string(testing::full_system_tests()) + R"SH(
for path in /health /auth/; do
  wrk -t 1 -c 4 -d ${seconds}s -s scripts/bench/statuses.lua -H 'Host: pnptv.test' -H 'Connection: close' "https://127.0.0.1:$port$path" >"$d/wrk$(echo $path | tr / _).out" 2>&1 &
done
sleep 2
if [ "$full" = 1 ]; then  # v2, back to v1, v2 again: each switch under the same load
  { scripts/deploy activate "${opts[@]}" "$root/releases/v2" && scripts/deploy activate "${opts[@]}" "$root/releases/v1"; } >/dev/null 2>&1
  sleep 5
fi
{ scripts/deploy activate "${opts[@]}" "$root/releases/v2" && echo rc=0 || echo rc=$?; } 2>&1 | grep -v '\['
wait
echo "--- /health"; cat "$d/wrk_health.out"; echo "--- /auth/"; cat "$d/wrk_auth_.out"
echo old=$(ps -eo args | grep -c "^$root/releases/v1/bin/" || true) run=$(ls "$d/run" | tr '\n' ' '))SH");
    BOOST_TEST(r.output.find("v2 is active") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("rc=0") != std::string::npos, r.output);
    for (const char* path : {"--- /health", "--- /auth/"}) {
        testing::WrkLoad load = testing::read_wrk_load(r.output.substr(r.output.find(path)));
        BOOST_TEST(load.ok > 500, path << ": " << load.ok);
        BOOST_TEST(load.other == 0, path << " " << r.output);
        BOOST_TEST(load.errors == "errors connect=0 read=0 write=0 timeout=0", path << " " << load.errors);
    }
    BOOST_TEST(h.current() == "v2\n");
    // The old pools are gone and so is their socket folder; the metrics and nchan's stay.
    BOOST_TEST(r.output.find("old=0 run=metrics nchan.sock v2\n") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(a_release_that_fails_its_checks_is_rolled_back_by_itself) {
    Host& h = host();
    BOOST_TEST_REQUIRE(h.current() == "v2\n");
    h.copy_release("v3");
    // Its health function starts (its settings are fine) but never answers a request.
    BOOST_TEST_REQUIRE(h.sh(R"SH(cd "$root/releases/v3/bin" && mv health health.real && printf '#!/bin/sh
case "$1" in --*) exec "$0.real" "$@" ;; esac
exit 1
' >health && chmod +x health)SH").status == 0);
    auto r = h.sh("{ scripts/deploy activate \"${opts[@]}\" \"$root/releases/v3\" && echo rc=0 || echo rc=$?; } 2>&1 | grep -v '\\['\n"
                  "echo v3=$(ps -eo args | grep -c \"^$root/releases/v3/bin/\" || true) site=$(grep -c \"$d/run/v2/\" \"$d/ngx/site.conf\")SH");
    BOOST_TEST(r.output.find("check failed: GET /health") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("rolling back to v2") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("rc=1") != std::string::npos, r.output);
    BOOST_TEST(h.current() == "v2\n");
    BOOST_TEST(r.output.find("v3=0 ") != std::string::npos, r.output);
    BOOST_TEST(r.output.find(" site=0") == std::string::npos, r.output);
    BOOST_TEST(h.sh("get \"https://127.0.0.1:$port/health\"").output.find("\"status\":\"ok\"") != std::string::npos);

    // Settings a release's functions refuse stop it before anything is touched.
    auto refused = h.sh("grep -v '^TELEGRAM_BOT_TOKEN=' \"$d/env\" >\"$d/env.bad\"\n"
                        "{ scripts/deploy activate \"${opts[@]}\" --env \"$d/env.bad\" \"$root/releases/v1\" && echo rc=0 || echo rc=$?; } 2>&1 | grep -v '\\['");
    BOOST_TEST(refused.output.find("refuses the settings") != std::string::npos, refused.output);
    BOOST_TEST(refused.output.find("TELEGRAM_BOT_TOKEN") != std::string::npos, refused.output);
    BOOST_TEST(refused.output.find("rc=1") != std::string::npos, refused.output);
    BOOST_TEST(h.current() == "v2\n");

    // An operator's rollback goes back to the release before the current one.
    auto back = h.sh("{ scripts/deploy rollback \"${opts[@]}\" && echo rc=0 || echo rc=$?; } 2>&1 | grep -v '\\['");
    BOOST_TEST(back.output.find("v1 is active") != std::string::npos, back.output);
    BOOST_TEST(h.current() == "v1\n");
    BOOST_TEST(h.sh("get \"https://127.0.0.1:$port/health\"").output.find("\"status\":\"ok\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_systemd_units_pass_systemd_analyze_verify) {
    std::string dir = testing::temp_dir();
    // A root whose release v9 has every binary the units name.
    auto r = testing::shell("d='" + dir + "'\nmkdir -p $d/root/releases/v9 && ln -s \"$PWD/$BUILD/bin\" $d/root/releases/v9/bin\n"
                            "mkdir -p $d/root/current/scripts && ln -s \"$PWD/scripts/backup\" $d/root/current/scripts/backup\n"
                            "expected=$(scripts/routes | awk '$2 == \"route\" || $2 == \"daemon\" {print $1}' | sort -u | wc -l)\n"
                            "scripts/systemd-units --root $d/root --out $d/units >/dev/null\n"
                            "cd $d/units && for u in *@.service; do ln -s $u ${u%@.service}@v9.service; done\n"
                            "echo units=$(ls *@v9.service | wc -l)/$expected hardened=$(grep -l 'NoNewPrivileges=yes' *@.service | wc -l)/"
                            "$(grep -l 'ProtectSystem=strict' *@.service | wc -l)/$(grep -l 'PrivateTmp=yes' *@.service | wc -l)/"
                            "$(grep -l '^User=pnptv' *@.service | wc -l)\n"
                            "systemd-analyze verify *@v9.service pnptv-logrotate.service pnptv-logrotate.timer pnptv-backup.service pnptv-backup.timer 2>&1 && echo verified\n"
                            "grep -c '^Restart=' pnptv-health@.service pnptv-notify-worker@.service\n"
                            "grep -h '^ExecStart=' pnptv-health@.service\n"
                            // The check is real: a unit with a mistake fails it.
                            "sed 's/^Restart=.*/Restart=sometimes/' pnptv-health@.service >pnptv-broken@.service && ln -s pnptv-broken@.service pnptv-broken@v9.service\n"
                            "systemd-analyze verify pnptv-broken@v9.service 2>&1 | tail -n 1 || true");
    BOOST_TEST(r.status == 0, r.output);
    auto at = r.output.find("units=");
    BOOST_TEST_REQUIRE(at != std::string::npos, r.output);
    std::string counts = r.output.substr(at + 6, r.output.find(' ', at) - at - 6);  // "17/17"
    std::string n = counts.substr(0, counts.find('/'));
    BOOST_TEST(counts == n + "/" + n, r.output);  // every pool and daemon has its unit
    BOOST_TEST(r.output.find("hardened=" + n + "/" + n + "/" + n + "/" + n + "\nverified\n") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("pnptv-health@.service:1\npnptv-notify-worker@.service:1\n") != std::string::npos, r.output);
    BOOST_TEST(r.output.find(" -s /run/pnptv/%i/health.sock -M 0660 -- /usr/bin/multiwatch -f ${PNPTV_WORKERS} -s TERM -- " +
                             dir + "/root/releases/%i/bin/health\n") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("sometimes") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(nginx_logs_rotate_by_size_before_the_day_is_over) {
    std::string dir = testing::temp_dir();
    auto r = testing::shell("d='" + dir + "'\n"
                            "scripts/systemd-units --root $d --nginx-log-dir $d/logs --nginx-pid $d/none.pid --out $d/units >/dev/null\n"
                            "mkdir -p $d/logs && head -c 2048 /dev/zero >$d/logs/pnptv.access.log\n"
                            "logrotate --state $d/state $d/units/pnptv.logrotate && ls $d/logs | tr '\\n' ' '; echo\n"
                            // Past 100 MB: rotated at the next look, hours before the daily turn.
                            "truncate -s 101M $d/logs/pnptv.access.log\n"
                            "logrotate --state $d/state $d/units/pnptv.logrotate && ls $d/logs | tr '\\n' ' '; echo");
    BOOST_TEST(r.status == 0, r.output);
    BOOST_TEST(r.output.find("pnptv.access.log \npnptv.access.log.1 \n") != std::string::npos, r.output);
}
