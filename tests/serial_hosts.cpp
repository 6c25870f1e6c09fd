// The same release on two application hosts behind a load balancer, each part of production a
// network namespace of its own (iproute2): `db` (PostgreSQL), `cache` (Redis), `app-a` and
// `app-b` (each its own nginx with the production site, every function pool and the daemons,
// put there by `scripts/deploy activate --supervisor direct`), `lb` (a third nginx in front of
// both), `client` (where this test runs its requests) — each linked by a veth pair to a bridge in
// `net`, which also holds the fake Bot API and ePayco. The addresses (10.77.0.0/24) exist only
// inside those namespaces. What one host does, the other sees: a session, a payment, a Telegram
// update, the outbox, a chat message; and the balancer loses no request it can retry when a host
// dies under load. docs/scaling.md says how this maps onto production.
//
// The app hosts serve the production site as scripts/deploy writes it: TLS on 443 (the
// balancer speaks https to them and checks their certificate). Both run one release folder
// (packaged once, shared as a mount would be) and share the uploads and media folders.
//
// Everything is named after this run (namespaces pnptv-<run>-<part>), so a leftover of a killed
// run never collides; the fixture's destructor stops PostgreSQL, kills every process of every
// namespace and deletes them, whatever the test cases did. Serial: it runs two hosts and loads
// them. The last test case kills a host.
#define BOOST_TEST_MODULE serial_hosts
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "../functions/chat/handler.hpp"
#include "crypto.hpp"
#include "epayco.hpp"
#include "pg.hpp"
#include "testing.hpp"

namespace {

// Where each part lives on the test network.
const std::string net = "10.77.0";
const std::string db_address = net + ".2", lb_address = net + ".4", a_address = net + ".10", b_address = net + ".11";

// env.example's local secrets, which both hosts' settings keep (the bot token: testing::local_bot_token).
const std::string webhook_secret = "local-webhook-secret";

// What every shell step starts with: the run's names and a few helpers.
constexpr const char* preamble = R"SH(
# The hosts read their settings files only: the test run's stores and log level (the environment
# wins over a settings file) are not theirs.
unset DATABASE_URL REDIS_URL LOG_LEVEL
parts=(net db cache app-a app-b lb client)
ns() { echo "pnptv-$run-$1"; }
addr() { case $1 in net) echo $net.1 ;; db) echo $net.2 ;; cache) echo $net.3 ;; lb) echo $net.4 ;;
                    app-a) echo $net.10 ;; app-b) echo $net.11 ;; client) echo $net.100 ;; esac; }
in_ns() { local part=$1; shift; ip netns exec "$(ns "$part")" "$@"; }
# scripts/deploy's options for host a or b: its own root, settings, sockets, logs and nginx; the
# production ports, which are free inside its namespace.
deploy_opts() {
  local h=$1
  printf '%s\n' --root "$d/$h/root" --env "$d/$h/env" --run-dir "$d/$h/run" --supervisor direct --log-dir "$d/$h/logs" \
    --site "$d/$h/ngx/site.conf" --nginx "nginx -p $d/$h/ngx -c $d/$h/ngx/nginx.conf" --nginx-pid "$d/$h/ngx/nginx.pid" \
    --tls-cert "$d/cert.pem" --tls-key "$d/key.pem" --https-port 443 --http-port 80 --nginx-log-dir "$d/$h/ngx" --resolver 127.0.0.1
}
deploy_on() {
  local h=$1 command=$2 opts; shift 2
  mapfile -t opts < <(deploy_opts "$h")
  in_ns "app-$h" scripts/deploy "$command" "${opts[@]}" "$@"
}
)SH";

constexpr const char* setup_script = R"SH(
mkdir -p "$d"/{a,b}/ngx/tmp/{body,proxy,fastcgi,uwsgi,scgi} "$d"/lb/tmp "$d"/shared/{uploads,media,releases} "$d/cache" "$d/fake"

# The network: a bridge in `net`, a veth pair from it into every other part.
for part in "${parts[@]}"; do ip netns add "$(ns $part)"; ip -n "$(ns $part)" link set lo up; done
ip -n "$(ns net)" link add br0 type bridge
ip -n "$(ns net)" addr add "$(addr net)/24" dev br0
ip -n "$(ns net)" link set br0 up
for part in "${parts[@]:1}"; do
  ip link add name "v-$part" netns "$(ns net)" type veth peer name eth0 netns "$(ns $part)"
  ip -n "$(ns net)" link set "v-$part" master br0 up
  ip -n "$(ns $part)" addr add "$(addr $part)/24" dev eth0
  ip -n "$(ns $part)" link set eth0 up
done

# Telegram's Bot API and ePayco, on the bridge's address.
in_ns net /usr/bin/python3 tests/fakes/fake_bot_api.py "$d/fake/port" "$(addr net)" >"$d/fake/log" 2>&1 &
for i in $(seq 100); do [ -f "$d/fake/port" ] && break; sleep 0.05; done
fake=http://$(addr net):$(cat "$d/fake/port")

# PostgreSQL on its address (services.sh's cluster, listening there too), open to the subnet.
in_ns db bash -c "source scripts/lib/services.sh && pg_start '$d/db' socket-only listen_addresses=$(addr db) \
  max_connections=300 fsync=off synchronous_commit=off full_page_writes=off" >/dev/null
echo "host all pnptv $net.0/24 trust" >>"$(pg_home "$d/db")/data/pg_hba.conf"
as_pg_owner "$(pg_bindir)/pg_ctl" -D "$(pg_home "$d/db")/data" reload >/dev/null
pg_createdb "$d/db" pnptv
# Redis on its address: common/redis takes no password, so the network is its protection.
in_ns cache redis-server --bind "$(addr cache)" --port 6379 --protected-mode no --daemonize yes --pidfile "$d/cache/redis.pid" \
  --dir "$d/cache" --logfile "$d/cache/redis.log" --save '' --appendonly yes --maxmemory-policy noeviction >/dev/null
tries=100
until in_ns client psql -q "postgresql://pnptv@$(addr db)/pnptv" -tAc 'SELECT 1' >/dev/null 2>&1 &&
      in_ns client redis-cli -h "$(addr cache)" ping 2>/dev/null | grep -q PONG; do
  tries=$((tries - 1)); [ $tries -gt 0 ] || { echo "PostgreSQL or Redis unreachable from the network"; exit 1; }; sleep 0.1
done

# One certificate for both hosts (the balancer and the test check it); the settings of each host:
# the shared stores, the shared folders, its own sockets and metrics, the balancer trusted.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=pnptv.test -days 1 -keyout "$d/key.pem" -out "$d/cert.pem" \
  -addext "subjectAltName=DNS:pnptv.test,IP:$(addr app-a),IP:$(addr app-b)" 2>/dev/null
for h in a b; do
  { cat env.example
    echo "DATABASE_URL=postgresql://pnptv@$(addr db):5432/pnptv"
    echo "REDIS_URL=redis://$(addr cache):6379/0"
    echo "NCHAN_REDIS_URL=redis://$(addr cache):6379"
    echo "UPLOADS_DIR=$d/shared/uploads"; echo "MEDIA_DIR=$d/shared/media"
    echo "METRICS_DIR=$d/$h/run/metrics"; echo "NCHAN_PUBLISH_SOCKET=$d/$h/run/nchan.sock"
    echo "PUBLIC_BASE_URL=https://pnptv.test"; echo "COOKIE_SECURE=true"
    echo "TELEGRAM_API_BASE=$fake"; echo "EPAYCO_API_BASE=$fake"
    echo "TRUSTED_PROXIES=$(addr lb)"
    echo "OUTBOX_RETRY_BASE_SECONDS=1"; echo "LOG_LEVEL=info"; } >"$d/$h/env"
  # The host's nginx, as a distribution runs it, with the site deploy writes.
  sed -e "s|@RUN_DIR@|$d/$h/ngx|g" -e "s|@USER@|user $(id -un) $(id -gn);|" nginx/nginx.conf.in >"$d/$h/ngx/nginx.conf"
  echo "server { listen 443; return 503; }" >"$d/$h/ngx/site.conf"
  in_ns "app-$h" nginx -p "$d/$h/ngx" -c "$d/$h/ngx/nginx.conf" 2>/dev/null
  mkdir -p "$d/$h/root"
  ln -s "$d/shared/releases" "$d/$h/root/releases"
done

# One release, packaged once, activated on each host as production does.
scripts/deploy package --root "$d/a/root" --version v1 >/dev/null
for h in a b; do
  out=$(deploy_on $h activate "$d/$h/root/releases/v1" 2>&1) || { echo "$out"; exit 1; }
  echo "$out" | grep 'is active'
done

# The balancer.
sed -e "s|@D@|$d|g" -e "s|@A@|$(addr app-a)|g" -e "s|@B@|$(addr app-b)|g" >"$d/lb/nginx.conf" <<'NGINX'
user root root;
worker_processes 2;
pid @D@/lb/nginx.pid;
error_log @D@/lb/error.log warn;
events {
    worker_connections 4096;
}
http {
    client_body_temp_path @D@/lb/tmp;
    proxy_temp_path @D@/lb/tmp;
    fastcgi_temp_path @D@/lb/tmp;
    uwsgi_temp_path @D@/lb/tmp;
    scgi_temp_path @D@/lb/tmp;
    # Which host answered (both when it was retried: "a:443, b:443") and what each said.
    log_format balancer '$status "$upstream_addr" "$upstream_status" $request_method $uri';
    access_log @D@/lb/access.log balancer;

    upstream pnptv_hosts {
        zone pnptv_hosts 64k;  # the workers share what they learn of a host's failures
        server @A@:443 max_fails=1 fail_timeout=5s;
        server @B@:443 max_fails=1 fail_timeout=5s;
        keepalive 32;
    }
    map $http_upgrade $pnptv_connection {
        default  upgrade;
        ""       "";
    }
    server {
        listen 80;
        server_name pnptv.test;
        client_max_body_size 8m;  # each route's own cap is the host's
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Request-Id $request_id;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $pnptv_connection;
        # The hosts serve the production site: https, their certificate checked.
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate @D@/cert.pem;
        proxy_ssl_name pnptv.test;
        proxy_ssl_server_name on;
        proxy_ssl_session_reuse on;
        # A host that refuses, resets, can't be reached within a second, or answers 502/503 gets
        # its request sent to the other: a GET or HEAD always; a POST only when it never reached
        # the first host (nginx never repeats a non-idempotent request it has sent).
        # No time limit on passing it on (a request that hung on a host cut off the network comes
        # back late, often as a 503: it still deserves its second host); two tries bound it.
        proxy_connect_timeout 1s;
        proxy_read_timeout 30s;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries 2;
        location / {
            proxy_pass https://pnptv_hosts;
        }
        # Realtime subscribers hold their connection.
        location ^~ /api/webapp/chat/ws/ {
            proxy_pass https://pnptv_hosts;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }
    }
}
NGINX
in_ns lb nginx -p "$d/lb" -c "$d/lb/nginx.conf" 2>/dev/null
tries=100
until [ "$(in_ns client curl -s -o /dev/null -w '%{http_code}' "http://$(addr lb)/health")" = 200 ]; do
  tries=$((tries - 1)); [ $tries -gt 0 ] || { echo "the balancer does not answer"; exit 1; }; sleep 0.1
done
echo "fake=$fake"
)SH";

// Stops what runs in every namespace of the run and deletes them: PostgreSQL cleanly (its
// shared memory), everything else killed, then waited for.
constexpr const char* cleanup_script = R"SH(
pg_stop "$d/db" 2>/dev/null || true
pids=()
for part in "${parts[@]}"; do
  [ -e "/run/netns/$(ns $part)" ] && pids+=($(ip netns pids "$(ns $part)"))
done
[ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2>/dev/null
for pid in "${pids[@]+"${pids[@]}"}"; do wait_gone "$pid" 100 || true; done
for part in "${parts[@]}"; do
  [ -e "/run/netns/$(ns $part)" ] && ip netns del "$(ns $part)"
done
pg_forget "$d/db"
echo cleaned
)SH";

struct Hosts {
    std::string dir = testing::temp_dir();
    std::string run = pnptv::to_hex(pnptv::random_bytes(3));
    std::string env = "d='" + dir + "' run=" + run + " net=" + net + "\n" + preamble;
    std::string fake;     // the fake Bot API and ePayco: http://10.77.0.1:<port>
    std::string failure;  // why the set-up failed, for every test case to say
    std::unique_ptr<pnptv::Pg> pg;
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);  // the namespace the test started in

    Hosts() {
        auto r = sh(setup_script);
        if (r.status != 0 || r.output.find("fake=http://") == std::string::npos) {
            failure = "set-up failed: " + r.output;
            return;
        }
        fake = testing::last_line(r.output).substr(5);
        // From here on the test is a client on the network: its own requests and every shell it
        // starts leave from the `client` namespace.
        if (!enter("client")) {
            failure = "can't enter the client namespace";
            return;
        }
        try {
            pg = std::make_unique<pnptv::Pg>("postgresql://pnptv@" + db_address + ":5432/pnptv");
        } catch (const std::exception& e) {
            failure = std::string("PostgreSQL: ") + e.what();
        }
    }
    ~Hosts() {
        pg.reset();
        if (home >= 0) setns(home, CLONE_NEWNET);  // out of `client` before it is torn down
        auto r = sh(cleanup_script);
        // After main: Boost.Test's log is gone, so a failed cleanup says so on stderr.
        if (r.output.find("cleaned") == std::string::npos) std::fprintf(stderr, "serial_hosts cleanup: %s\n", r.output.c_str());
        if (home >= 0) close(home);
    }
    bool enter(const std::string& part) const {
        int fd = open(("/run/netns/pnptv-" + run + "-" + part).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return false;
        const bool ok = setns(fd, CLONE_NEWNET) == 0;
        close(fd);
        return ok;
    }
    testing::ShellResult sh(const std::string& script) const { return testing::shell(env + script); }

    std::string host(char h) const { return "https://" + (h == 'a' ? a_address : b_address); }
    std::string ca() const { return dir + "/cert.pem"; }
    // A request to a host, its certificate checked.
    testing::HttpResult http(const std::string& method, const std::string& url, const std::string& body = {},
                             const std::vector<std::string>& headers = {}) const {
        return testing::http(method, url, body, headers, 15000, ca());
    }
    pnptv::Json fake_calls() const { return pnptv::Json::parse(testing::http("GET", fake + "/__calls").body); }
    int sends_to(long long chat_id) const {
        int n = 0;
        for (const auto& c : fake_calls())
            if (c["body"].value("chat_id", 0LL) == chat_id) ++n;
        return n;
    }
    std::string text(const std::string& path) const { return testing::shell("cat '" + path + "' 2>/dev/null").output; }
};

Hosts& hosts() {
    static Hosts h;
    BOOST_TEST_REQUIRE(h.failure.empty(), h.failure);
    return h;
}

// A Telegram login through a host's nginx (testing::widget_login). Returns "connect.sid=…".
std::string log_in(const Hosts& h, char host, long long telegram_id, const std::string& name) {
    auto r = testing::widget_login(h.host(host), telegram_id, name, {}, h.ca());
    BOOST_TEST_REQUIRE(r.status == 200, r.status << " " << r.body);
    const std::string cookie = testing::session_cookie(r);
    BOOST_TEST_REQUIRE(!cookie.empty(), "no session cookie");
    return cookie;
}

long long telegram_id_for_test() { return 6'000'000'000LL + testing::unique_number() % 1'000'000'000LL; }

}  // namespace

BOOST_AUTO_TEST_CASE(a_session_minted_on_one_host_opens_the_other_and_ends_on_both) {
    Hosts& h = hosts();
    const long long tg = telegram_id_for_test();
    const std::string cookie = log_in(h, 'a', tg, "Roaming");

    // Host B never saw the login: the session and the guard's record are Redis's, not a host's.
    auto me = h.http("GET", h.host('b') + "/api/webapp/auth/me", {}, {"Cookie: " + cookie});
    BOOST_TEST_REQUIRE(me.status == 200, me.body);
    const auto user = testing::body_json({200, {}, {}, me.body})["user"];
    BOOST_TEST(user["telegram_id"] == tg, me.body);
    auto page = h.http("GET", h.host('b') + "/hub/", {}, {"Cookie: " + cookie});
    BOOST_TEST(page.status == 200);
    BOOST_TEST(page.header("x-user-id").value_or("") == std::to_string(user["id"].get<long long>()));

    // A picture uploaded through A is served by B's nginx: one uploads folder for both.
    const std::string boundary = "hostsBoundary";
    const std::string form = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"me.png\"\r\n\r\n" +
                             testing::fixture("photo.png") + "\r\n--" + boundary + "--\r\n";
    auto up = h.http("POST", h.host('a') + "/api/webapp/profile/avatar", form,
                     {"Cookie: " + cookie, "Content-Type: multipart/form-data; boundary=" + boundary});
    BOOST_TEST_REQUIRE(up.status == 200, up.body);
    const std::string large = testing::body_json({200, {}, {}, up.body})["profile"]["avatar"]["large"];
    auto file = h.http("GET", h.host('b') + large);
    BOOST_TEST(file.status == 200);
    BOOST_TEST(file.body.compare(0, 4, "RIFF") == 0);

    // Logged out through B: the cookie opens nothing on A either.
    BOOST_TEST(h.http("POST", h.host('b') + "/api/webapp/auth/logout", {}, {"Cookie: " + cookie}).status == 200);
    BOOST_TEST(h.http("GET", h.host('a') + "/api/webapp/auth/me", {}, {"Cookie: " + cookie}).status == 401);
    BOOST_TEST(h.http("GET", h.host('a') + "/hub/", {}, {"Cookie: " + cookie}).status == 302);

    // Both hosts' programs reach the one PostgreSQL and the one Redis over the network, from
    // their own addresses (a unix socket would cross namespaces: the settings must not use one).
    auto from = h.pg->exec("SELECT count(*) FILTER (WHERE client_addr = $1::inet), count(*) FILTER (WHERE client_addr = $2::inet) "
                           "FROM pg_stat_activity WHERE datname = 'pnptv'", {a_address, b_address});
    BOOST_TEST(from.get_int(0, 0) > 0);
    BOOST_TEST(from.get_int(0, 1) > 0);
    BOOST_TEST_MESSAGE("PostgreSQL connections: host A " << from.get_int(0, 0) << ", host B " << from.get_int(0, 1));
    auto clients = h.sh("redis-cli -h \"$(addr cache)\" client list | grep -o ' addr=[0-9.]*' | sort | uniq -c");
    BOOST_TEST(clients.output.find(" addr=" + a_address + "\n") != std::string::npos, clients.output);
    BOOST_TEST(clients.output.find(" addr=" + b_address + "\n") != std::string::npos, clients.output);
}

BOOST_AUTO_TEST_CASE(one_epayco_confirmation_at_both_hosts_at_once_activates_once) {
    Hosts& h = hosts();
    pnptv::Pg& pg = *h.pg;
    const long long tg = telegram_id_for_test();
    const long long user = pg.exec("INSERT INTO users (telegram_id, first_name, age_verified_at) VALUES ($1, 'Payer', now()) RETURNING id",
                                   {tg}).get_int(0, 0);
    // Our invoices are "PNP-" and 12 of [A-Z0-9] (common/epayco).
    const std::string invoice = "PNP-HOSTS" + std::to_string(10'000'000 + testing::unique_number() % 10'000'000).substr(1);
    const std::string ref = std::to_string(80'000'000 + testing::unique_number() % 10'000'000);
    const long long record = pg.exec("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency) "
                                     "VALUES ($1, $2, 'prime-monthly-usd', 10.00, 'USD') RETURNING id", {invoice, user}).get_int(0, 0);
    // ePayco's word about the reference (the fake's validation answer) and its signed claim.
    const pnptv::Json data = {{"x_cust_id_cliente", "12345"}, {"x_ref_payco", ref}, {"x_id_invoice", invoice},
                              {"x_amount", "10.00"}, {"x_currency_code", "USD"}, {"x_transaction_id", "TX-" + ref},
                              {"x_cod_transaction_state", "1"}, {"x_extra1", std::to_string(user)},
                              {"x_extra2", "prime-monthly-usd"}, {"x_extra3", std::to_string(record)},
                              {"x_signature", pnptv::epayco_signature("12345", "testkey123", ref, "TX-" + ref, "10.00", "USD")}};
    BOOST_TEST_REQUIRE(testing::http("POST", h.fake + "/__validation", pnptv::Json({{ref, data}}).dump()).status == 200);
    std::string form;
    for (auto& [k, v] : data.items()) form += (form.empty() ? "" : "&") + k + "=" + v.get<std::string>();

    // Delivered to both hosts at the same moment (once each; five each under make test-system).
    const int deliveries = testing::short_or_full(2, 10);
    auto statuses = testing::in_parallel(deliveries, [&](int i) {
        auto r = h.http("POST", h.host(i % 2 ? 'b' : 'a') + "/api/webhook/epayco", form, {"Content-Type: application/x-www-form-urlencoded"});
        return r.status == 200 ? 0 : 1;
    });
    BOOST_TEST(std::count(statuses.begin(), statuses.end(), 0) == deliveries);

    // The payment-workers of both hosts: one asks ePayco, once, and applies its answer once.
    BOOST_TEST_REQUIRE(testing::wait_for([&] {
        return pg.exec("SELECT state FROM payment_records WHERE id = $1", {record}).get(0, 0) == "approved";
    }, 15), pg.exec("SELECT coalesce((SELECT row_to_json(r)::text FROM payment_references r WHERE provider_ref = $1), 'no reference')",
                    {ref}).get(0, 0)
                 << testing::http("GET", h.fake + "/__validation_calls?ref=" + ref).body
                 << h.sh("tail -n 20 \"$d\"/?/logs/payment-worker.log").output);
    BOOST_TEST(pg.exec("SELECT count(*) FROM subscriptions WHERE user_id = $1", {user}).get_int(0, 0) == 1);
    BOOST_TEST(pg.exec("SELECT count(*) FROM payment_references WHERE provider_ref = $1 AND payment_record_id = $2 "
                       "AND granted_subscription_id IS NOT NULL", {ref, record}).get_int(0, 0) == 1);
    BOOST_TEST(pg.exec("SELECT count(*) FROM payment_confirmations WHERE provider_ref = $1", {ref}).get_int(0, 0) == 1);
    BOOST_TEST(testing::http("GET", h.fake + "/__validation_calls?ref=" + ref).body == R"({"count": 1})");
    // One activation message, sent once by whichever notify-worker holds Telegram.
    BOOST_TEST(pg.exec("SELECT count(*) FROM outbox WHERE user_id = $1 AND kind = 'telegram'", {user}).get_int(0, 0) == 1);
    BOOST_TEST(testing::wait_for([&] {
        return pg.exec("SELECT count(*) FROM outbox WHERE user_id = $1 AND delivered_at IS NOT NULL", {user}).get_int(0, 0) == 1;
    }));
    BOOST_TEST(h.sends_to(tg) == 1);
}

BOOST_AUTO_TEST_CASE(one_telegram_update_at_both_hosts_at_once_is_handled_once) {
    Hosts& h = hosts();
    const long long tg = telegram_id_for_test();
    const long long update_id = testing::unique_number();
    // The 18+ button: its answer goes back inline, the confirmation through the outbox.
    const pnptv::Json update = {{"update_id", update_id},
                                {"callback_query", {{"id", "cb" + std::to_string(update_id)},
                                                    {"from", {{"id", tg}, {"is_bot", false}, {"first_name", "Twice"}, {"language_code", "en"}}},
                                                    {"message", {{"message_id", 5}, {"chat", {{"id", tg}, {"type", "private"}}}}},
                                                    {"data", "age"}}}};
    const int deliveries = testing::short_or_full(2, 10);
    // Each delivery answers 200: 10 with the inline answer, 11 with nothing (a duplicate).
    auto answers = testing::in_parallel(deliveries, [&](int i) {
        auto r = h.http("POST", h.host(i % 2 ? 'b' : 'a') + "/webhook/telegram", update.dump(),
                        {"Content-Type: application/json", "X-Telegram-Bot-Api-Secret-Token: " + webhook_secret});
        if (r.status != 200) return 1;
        if (r.body == "{}") return 11;
        return testing::body_json({200, {}, {}, r.body})["method"] == "answerCallbackQuery" ? 10 : 2;
    });
    BOOST_TEST(std::count(answers.begin(), answers.end(), 10) == 1);
    BOOST_TEST(std::count(answers.begin(), answers.end(), 11) == deliveries - 1);

    pnptv::Pg& pg = *h.pg;
    BOOST_TEST(pg.exec("SELECT count(*) FROM telegram_updates WHERE update_id = $1", {update_id}).get_int(0, 0) == 1);
    const std::string queued = "SELECT count(*) FROM outbox o JOIN users u ON u.id = o.user_id WHERE u.telegram_id = $1";
    BOOST_TEST(pg.exec(queued, {tg}).get_int(0, 0) == 1);
    BOOST_TEST_REQUIRE(testing::wait_for([&] { return pg.exec(queued + " AND o.delivered_at IS NOT NULL", {tg}).get_int(0, 0) == 1; }));
    BOOST_TEST(h.sends_to(tg) == 1);  // one reply at the Bot API
}

namespace {
// The outbox rows each host's notify-worker logged as delivered: outbox id → how many times.
std::map<long long, int> delivered_by(const Hosts& h, char host) {
    std::map<long long, int> out;
    std::istringstream lines(h.text(h.dir + "/" + host + "/logs/notify-worker.log"));
    for (std::string line; std::getline(lines, line);) {
        auto j = pnptv::Json::parse(line, nullptr, false);
        if (j.is_object() && j.value("event", "") == "outbox_attempt" && j.value("result", "") == "delivered")
            ++out[j.value("outbox_id", 0LL)];
    }
    return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(two_notify_workers_on_two_hosts_send_each_row_once_within_telegrams_limits) {
    Hosts& h = hosts();
    pnptv::Pg& pg = *h.pg;
    // Messages to `chats` chats, some chats getting several (Telegram: one a second per chat,
    // about thirty a second overall, for the bot as a whole); then realtime events.
    const int messages = testing::short_or_full(60, 300), chats = testing::short_or_full(40, 100), events = testing::short_or_full(10, 30);
    const long long first_chat = 5'000'000'000LL + testing::unique_number() % 1'000'000'000LL;
    const std::string tag = "hosts-" + h.run + "-";
    auto ids = [](const pnptv::PgResult& r) {
        std::set<long long> out;
        for (int i = 0; i < r.rows(); ++i) out.insert(r.get_int(i, 0));
        return out;
    };
    const auto telegram = ids(pg.exec("INSERT INTO outbox (kind, payload) SELECT 'telegram', jsonb_build_object('method', 'sendMessage', "
                                      "'chat_id', $1::bigint + n % $2::int, 'text', $3::text || n) FROM generate_series(0, $4::int - 1) n RETURNING id",
                                      {first_chat, chats, tag, messages}));
    const auto realtime = ids(pg.exec("INSERT INTO outbox (kind, payload) SELECT 'realtime', jsonb_build_object('channel', 'room-' || $1::text || n, "
                                      "'event', jsonb_build_object('n', n)) FROM generate_series(1, $2::int) n RETURNING id",
                                      {tag, events}));
    BOOST_TEST_REQUIRE(telegram.size() == static_cast<size_t>(messages));
    auto pending = [&] {
        return pg.exec("SELECT count(*) FROM outbox WHERE (payload->>'text' LIKE $1::text || '%' OR payload->>'channel' LIKE 'room-' || $1::text || '%') "
                       "AND delivered_at IS NULL", {tag}).get_int(0, 0);
    };
    BOOST_TEST_REQUIRE(testing::wait_for([&] { return pending() == 0; }, testing::short_or_full(30, 60)), pending() << " left");

    // At the Bot API: every message once.
    std::map<std::string, int> per_text;
    std::map<long long, std::vector<double>> per_chat;
    std::vector<double> at;
    for (const auto& c : h.fake_calls()) {
        const long long chat = c["body"].value("chat_id", 0LL);
        if (chat < first_chat || chat >= first_chat + chats) continue;
        ++per_text[c["body"].value("text", "")];
        per_chat[chat].push_back(c["at"].get<double>());
        at.push_back(c["at"].get<double>());
    }
    BOOST_TEST(at.size() == static_cast<size_t>(messages));
    BOOST_TEST(per_text.size() == static_cast<size_t>(messages));
    BOOST_TEST(std::all_of(per_text.begin(), per_text.end(), [](const auto& kv) { return kv.second == 1; }));
    // … a second apart within a chat, and never 31 within a second overall, as the Bot API's clock
    // saw them (5% for this 2-core machine's scheduling, as tests/serial_notify allows).
    for (auto& [chat, times] : per_chat) {
        std::sort(times.begin(), times.end());
        for (size_t i = 1; i < times.size(); ++i) BOOST_TEST(times[i] - times[i - 1] >= 0.95, "chat " << chat << " gap " << times[i] - times[i - 1]);
    }
    std::sort(at.begin(), at.end());
    size_t worst = 0;
    for (size_t i = 0, j = 0; i < at.size(); ++i) {
        while (at[i] - at[j] >= 1.0) ++j;
        worst = std::max(worst, i - j + 1);
    }
    for (size_t i = 30; i < at.size(); ++i) BOOST_TEST(at[i] - at[i - 30] >= 0.95, "31 sends within " << at[i] - at[i - 30] << " s");
    BOOST_TEST_MESSAGE("most sends in one second: " << worst);

    // Who sent what: each row delivered once over both hosts; every Telegram message by one host
    // (the holder of the sender's lock), the events, queued meanwhile, by the other.
    const auto by_a = delivered_by(h, 'a'), by_b = delivered_by(h, 'b');
    auto count = [](const std::map<long long, int>& m, const std::set<long long>& rows) {
        int n = 0;
        for (long long id : rows)
            if (auto it = m.find(id); it != m.end()) n += it->second;
        return n;
    };
    for (const auto* rows : {&telegram, &realtime})
        for (long long id : *rows) {
            const int times = (by_a.count(id) ? by_a.at(id) : 0) + (by_b.count(id) ? by_b.at(id) : 0);
            BOOST_TEST(times == 1, "outbox row " << id << " delivered " << times << " times");
        }
    const bool a_sends = count(by_a, telegram) > 0;
    const auto& sender = a_sends ? by_a : by_b;
    const auto& other = a_sends ? by_b : by_a;
    BOOST_TEST(count(sender, telegram) == messages);
    BOOST_TEST(count(other, realtime) == events, "the other host delivered " << count(other, realtime) << " of " << events << " events");
}

namespace {
// A browser's realtime subscription (tests/support/realtime_client.py, in the background).
void subscribe(const Hosts& h, const std::string& url, const std::string& kind, const std::string& cookie, const std::string& out) {
    auto r = testing::shell("/usr/bin/python3 tests/support/realtime_client.py " + kind + " '" + url + "' '" + cookie + "' '" + out +
                            "' 30 '" + h.ca() + "' </dev/null >/dev/null 2>&1 &");
    BOOST_TEST_REQUIRE(r.status == 0);
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_chat_message_posted_through_one_host_reaches_subscribers_of_the_other) {
    Hosts& h = hosts();
    const std::string dir = testing::temp_dir();
    const std::string ana = log_in(h, 'a', telegram_id_for_test(), "Ana"), ben = log_in(h, 'b', telegram_id_for_test(), "Ben");
    const std::string room = std::string(chat::subscribe_prefix) + "community";
    // Ben on host B over a WebSocket and an EventSource, and once more through the balancer.
    subscribe(h, "wss://" + b_address + room, "ws", ben, dir + "/b.ws");
    subscribe(h, h.host('b') + room, "sse", ben, dir + "/b.sse");
    subscribe(h, "ws://" + lb_address + room, "ws", ben, dir + "/lb.ws");
    BOOST_TEST_REQUIRE(testing::wait_for([&] {
        for (const char* f : {"/b.ws", "/b.sse", "/lb.ws"})
            if (h.text(dir + f).find("open") == std::string::npos) return false;
        return true;
    }), h.text(dir + "/b.ws") << h.text(dir + "/b.sse") << h.text(dir + "/lb.ws"));

    // Ana posts through host A: nchan on A publishes into Redis, nchan on B hands it to Ben.
    const std::string words = "across hosts " + h.run;
    auto r = h.http("POST", h.host('a') + std::string(chat::rooms_path) + "community/messages", pnptv::Json{{"body", words}}.dump(),
                    {"Cookie: " + ana, "Content-Type: application/json"});
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    for (const char* f : {"/b.ws", "/b.sse", "/lb.ws"})
        BOOST_TEST(testing::wait_for([&] { return h.text(dir + f).find(words) != std::string::npos; }), f << ": " << h.text(dir + f));
}

namespace {
// The balancer's log lines from `offset` on (its format: status "upstreams" "their statuses" method uri).
struct BalancerLog {
    long long answered = 0, not_ok = 0, abandoned = 0, retried = 0, from_a = 0, from_b = 0;
    std::string not_ok_lines;
};
// Only the load's requests count (a realtime subscriber of an earlier test may end meanwhile).
BalancerLog read_balancer_log(const std::string& text) {
    BalancerLog log;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (!line.ends_with(" GET /health") && !line.ends_with(" GET /auth/")) continue;
        ++log.answered;
        if (line.rfind("499 ", 0) == 0) ++log.abandoned;
        else if (line.rfind("200 ", 0) != 0 && ++log.not_ok <= 5) log.not_ok_lines += line + "\n";
        const size_t q = line.find('"'), end = line.find('"', q + 1);
        const std::string upstreams = line.substr(q + 1, end - q - 1);
        if (upstreams.find(", ") != std::string::npos) ++log.retried;
        const std::string last = upstreams.substr(upstreams.rfind(' ') == std::string::npos ? 0 : upstreams.rfind(' ') + 1);
        if (last == a_address + ":443") ++log.from_a;
        if (last == b_address + ":443") ++log.from_b;
    }
    return log;
}
}  // namespace

// Last: it kills a host.
BOOST_AUTO_TEST_CASE(a_host_dying_under_load_loses_no_request_the_balancer_can_retry) {
    Hosts& h = hosts();
    const int seconds = testing::short_or_full(10, 60);
    const std::string lb_log = h.dir + "/lb/access.log";
    auto log_size = [&] { return std::stoll(testing::shell("stat -c %s '" + lb_log + "'").output); };
    auto log_since = [&](long long offset) {
        return read_balancer_log(testing::shell("tail -c +" + std::to_string(offset + 1) + " '" + lb_log + "'").output);
    };
    const long long start = log_size();
    // A steady load of GETs through the balancer: a function (PostgreSQL and Redis behind it) and
    // a page nginx serves itself, two connections each, kept alive (the balancer doesn't die).
    BOOST_TEST_REQUIRE(h.sh("for path in /health /auth/; do\n"
                            "  wrk -t 1 -c 2 -d " + std::to_string(seconds) + "s --timeout 30s -s scripts/bench/statuses.lua "
                            "\"http://$(addr lb)$path\" >\"$d/wrk$(echo $path | tr / _).out\" 2>&1 &\n"
                            "done").status == 0);
    BOOST_TEST_REQUIRE(testing::wait_for([&] { auto l = log_since(start); return l.from_a > 0 && l.from_b > 0; }), "both hosts serve");

    if (testing::full_system_tests()) {
        // Twice: host A cut off the network for 4 s (connections to it hang, new ones time out
        // after the balancer's second), then back, until the balancer sends it requests again.
        for (int round = 0; round < 2; ++round) {
            BOOST_TEST_REQUIRE(h.sh("ip -n \"$(ns app-a)\" link set eth0 down").status == 0);
            std::this_thread::sleep_for(std::chrono::seconds(4));  // the outage's length
            BOOST_TEST_REQUIRE(h.sh("ip -n \"$(ns app-a)\" link set eth0 up").status == 0);
            const long long back = log_size();
            BOOST_TEST_REQUIRE(testing::wait_for([&] { return log_since(back).from_a > 0; }, 20), "host A serves again");
        }
    } else {
        std::this_thread::sleep_for(std::chrono::seconds(3));  // some load on both first
    }
    // Host A dies: every process of it at once (nginx, the pools, the daemons).
    auto killed = h.sh("pids=$(ip netns pids \"$(ns app-a)\"); kill -9 $pids; for p in $pids; do wait_gone $p; done\n"
                       "echo left=$(ip netns pids \"$(ns app-a)\" | wc -l) killed=$(echo $pids | wc -w)");
    BOOST_TEST_REQUIRE(killed.output.find("left=0 ") != std::string::npos, killed.output);
    const long long after_kill = log_size();

    auto done = [&](const char* file) { return h.text(h.dir + file).find("errors ") != std::string::npos; };
    BOOST_TEST_REQUIRE(testing::wait_for([&] { return done("/wrk_health.out") && done("/wrk_auth_.out"); }, seconds + 40));
    for (const char* file : {"/wrk_health.out", "/wrk_auth_.out"}) {
        const std::string out = h.text(h.dir + file);
        testing::WrkLoad load = testing::read_wrk_load(out);
        BOOST_TEST(load.ok > 100, file << ": " << out);
        BOOST_TEST(load.other == 0, file << ": " << out);
        BOOST_TEST(load.errors == "errors connect=0 read=0 write=0 timeout=0", file << ": " << out);
    }
    // The balancer's side: every request answered 200, some of them by B after A failed them, and
    // after the kill only B answered.
    const BalancerLog all = log_since(start), after = log_since(after_kill);
    BOOST_TEST(all.not_ok == 0, all.not_ok << " of " << all.answered << ":\n" << all.not_ok_lines);
    // (499: wrk hanging up on what its 4 connections had in flight when its time ran out.)
    BOOST_TEST(all.abandoned <= 4);
    BOOST_TEST(all.retried >= 1);
    BOOST_TEST(after.from_a == 0);
    BOOST_TEST(after.from_b == after.answered);
    BOOST_TEST_MESSAGE("answered " << all.answered << ", retried on the other host " << all.retried << ", killed: " << killed.output);
}
