// scripts/backup and scripts/restore: a database of the suite's own (never the run's shared test
// database, which other suites write to meanwhile), migrated and given rows in every table, backed
// up, restored into a fresh PostgreSQL cluster and compared table by table; retention; the dumps
// and targets restore must refuse; a URL's password kept off the tools' command lines.
#define BOOST_TEST_MODULE backup
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <map>
#include <sstream>

#include "crypto.hpp"
#include "pg.hpp"
#include "testing.hpp"

namespace {

// Rows in every table of the schema, with values that test a dump's fidelity: quotes, tabs,
// CR/LF, backslashes, non-ASCII text, NULLs, nested JSON, numerics, microseconds.
const char* fill_sql = R"sql(
DO $$
DECLARE
    ana bigint; ben bigint; post bigint; rec bigint; sub bigint; stream bigint; room bigint; cast_id bigint;
BEGIN
    INSERT INTO users (telegram_id, username, first_name, last_name, email, language, role, tier, bio, age_verified_at, display_name)
    VALUES (910000001, 'ana', 'Ana ''quoted'' María', E'Nuñez\tTab', 'ana@example.test', 'es', 'admin', 'prime',
            E'line one\nline two, "quoted", back\\slash, emoji 🎥', '2026-01-02 03:04:05.123456+00', 'Ana ✨')
    RETURNING id INTO ana;
    INSERT INTO users (telegram_id, first_name, banned_at, ban_reason, unreachable_at)
    VALUES (910000002, 'Ben', now(), 'spam, spam and spam', now()) RETURNING id INTO ben;
    INSERT INTO audit_log (actor_user_id, action, subject_type, subject_id, details)
    VALUES (ana, 'user.ban', 'user', ben::text, '{"reason": "spam", "nested": {"list": [1, 2.5, null, true]}}');
    INSERT INTO follows (follower_id, followed_id) VALUES (ben, ana);
    INSERT INTO social_posts (user_id, body, visibility, image) VALUES (ana, E'First post\r\nwith CRLF', 'prime', repeat('ab', 32))
    RETURNING id INTO post;
    INSERT INTO post_likes (user_id, post_id) VALUES (ben, post);
    INSERT INTO post_comments (post_id, user_id, body, deleted_at) VALUES (post, ben, 'nice', now());
    INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency, state, state_code, provider_ref, approved_at)
    VALUES ('PNP-BACKUP000001', ana, 'prime-monthly-usd', 10.00, 'USD', 'approved', 1, '880001', now()) RETURNING id INTO rec;
    INSERT INTO payment_confirmations (provider_ref, state_code, payment_record_id, raw_payload, outcome)
    VALUES ('880001', 1, rec, '{"x_ref_payco": "880001", "x_amount": "10.00"}', 'applied');
    INSERT INTO subscriptions (user_id, plan_id, payment_record_id, status, starts_at, ends_at)
    VALUES (ana, 'prime-monthly-usd', rec, 'active', now(), now() + interval '30 days') RETURNING id INTO sub;
    INSERT INTO payment_references (provider_ref, source, claim_payload, payment_record_id, state, state_code,
                                    granted_subscription_id, granted_days)
    VALUES ('880001', 'webhook', '{"x_ref_payco": "880001"}', rec, 'approved', 1, sub, 30);
    INSERT INTO live_streams (host_id, channel, title, prime_only) VALUES (ana, 'live-backup-1', 'Late show «en vivo»', true)
    RETURNING id INTO stream;
    INSERT INTO payment_records (invoice, user_id, amount, currency, purpose, live_stream_id, donation_message)
    VALUES ('PNP-BACKUP000002', ben, 5.00, 'USD', 'donation', stream, 'gracias ♥');
    INSERT INTO chat_messages (room, user_id, body) VALUES ('community', ana, 'hola a todos');
    INSERT INTO chat_mutes (room, user_id, until, muted_by, reason) VALUES ('community', ben, now() + interval '5 minutes', ana, 'flood');
    INSERT INTO hangout_rooms (owner_id, name, channel) VALUES (ana, 'friday-night', 'hangout-0123456789abcdef') RETURNING id INTO room;
    INSERT INTO hangout_members (room_id, user_id, added_by, via) VALUES (room, ana, ana, 'owner'), (room, ben, ana, 'invite');
    INSERT INTO videos (title, description_en, description_es, duration_seconds, category, prime_only, file_path, published_at, created_by)
    VALUES ('Backup clip', 'A clip', 'Un clip', 95, 'featured', true, 'clips/backup.mp4', now(), ana);
    INSERT INTO broadcasts (created_by, text, tier, language, recipients) VALUES (ana, 'Hello, everyone', 'prime', 'es', 1)
    RETURNING id INTO cast_id;
    INSERT INTO outbox (kind, user_id, payload, dedupe_key, broadcast_id, attempts, dead_at, last_error)
    VALUES ('telegram', ana, '{"method": "sendMessage", "text": "hi"}', 'backup:1', cast_id, 8, now(), 'HTTP 403'),
           ('email', ana, '{"to": "ana@example.test"}', NULL, NULL, 0, NULL, NULL);
    INSERT INTO telegram_updates (update_id, kind, outcome) VALUES (880000001, 'message', 'start');
END $$)sql";

std::string trimmed(std::string s) {
    s.erase(s.find_last_not_of("\n ") + 1);
    return s;
}

// The suite's source database in the run's cluster: migrated, every table given rows.
struct Source {
    std::string name = "pnptv_backup_" + pnptv::to_hex(pnptv::random_bytes(4));
    std::string url;
    Source() {
        const std::string run = std::getenv("PNPTV_TEST_TMP");
        auto r = testing::shell("pg_createdb '" + run + "' " + name + " && pg_migrate '" + run + "' " + name + " deploy && pg_url '" +
                                run + "' " + name);
        BOOST_TEST_REQUIRE(r.status == 0, r.output);
        url = testing::last_line(r.output);
        pnptv::Pg(url).exec(fill_sql);
    }
};
Source& source() {
    static Source s;
    return s;
}

// A fresh PostgreSQL cluster of the suite's own (its own folder, socket only), stopped at exit.
struct Fresh {
    std::string dir = testing::temp_dir();
    Fresh() {
        auto r = testing::shell("pg_start '" + dir + "' socket-only fsync=off");
        BOOST_TEST_REQUIRE(r.status == 0, r.output);
    }
    ~Fresh() { testing::shell("pg_stop '" + dir + "'; pg_forget '" + dir + "'"); }
    // A new, empty database in it; its URL.
    std::string createdb(const std::string& name) const {
        auto r = testing::shell("pg_createdb '" + dir + "' " + name + " && pg_url '" + dir + "' " + name);
        BOOST_TEST_REQUIRE(r.status == 0, r.output);
        return testing::last_line(r.output);
    }
};
Fresh& fresh() {
    static Fresh f;
    return f;
}

// Runs a script with the backup settings of a test (the environment wins over any file; the file
// is empty so nothing else leaks in).
testing::ShellResult with_settings(const std::string& database_url, const std::string& backup_dir, const std::string& script) {
    return testing::shell("export PNPTV_ENV_FILE=/dev/null " +
                          testing::shell_assignments({{"DATABASE_URL", database_url}, {"BACKUP_DIR", backup_dir}}) + "\n" + script);
}

// One backup of the source, made on first use: its path.
const std::string& source_dump() {
    static const std::string path = [] {
        const std::string dir = testing::temp_dir() + "/backups";
        auto r = with_settings(source().url, dir, "scripts/backup");
        BOOST_TEST_REQUIRE(r.status == 0, r.output);
        return trimmed(testing::shell("ls '" + dir + "'/pnptv-*.dump").output);
    }();
    return path;
}

// Every table of the database, from the catalogue (schema-qualified name → "rows md5 of the
// rows in a fixed order"), and every sequence's position.
std::map<std::string, std::string> fingerprint(const std::string& url) {
    pnptv::Pg pg(url);
    pg.exec("SET TimeZone = 'UTC'");
    std::map<std::string, std::string> out;
    auto tables = pg.exec(
        "SELECT table_schema || '.' || table_name, format('SELECT count(*), md5(coalesce(string_agg(t::text, %L ORDER BY t::text "
        "COLLATE \"C\"), %L)) FROM %I.%I t', E'\\n', '', table_schema, table_name) FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')");
    for (int i = 0; i < tables.rows(); ++i) {
        auto r = pg.exec(tables.get(i, 1));
        out[tables.get(i, 0)] = r.get(0, 0) + " " + r.get(0, 1);
    }
    auto sequences = pg.exec("SELECT schemaname || '.' || sequencename, coalesce(last_value::text, 'unused') FROM pg_sequences");
    for (int i = 0; i < sequences.rows(); ++i) out["sequence " + sequences.get(i, 0)] = sequences.get(i, 1);
    return out;
}

std::string describe(const std::map<std::string, std::string>& f) {
    std::ostringstream s;
    for (const auto& [k, v] : f) s << "\n  " << k << ": " << v;
    return s.str();
}

// The count restore printed for a table ("  <schema.table>   <rows>"), or "".
std::string row_count(const std::string& output, const std::string& table) {
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string name, rows, more;
        if (words >> name >> rows && !(words >> more) && name == table && line.rfind("  ", 0) == 0) return rows;
    }
    return "";
}

int tables_in(const std::string& url) {
    return pnptv::Pg(url).exec("SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
        .get_int(0, 0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_backup_restores_into_a_fresh_cluster_row_for_row) {
    const std::string dir = testing::temp_dir() + "/backups";
    auto backup = with_settings(source().url, dir, "scripts/backup");
    BOOST_TEST_REQUIRE(backup.status == 0, backup.output);
    BOOST_TEST(backup.output.find("backup: wrote " + dir + "/pnptv-") != std::string::npos, backup.output);
    BOOST_TEST(backup.output.find("database " + source().name + ",") != std::string::npos, backup.output);
    BOOST_TEST(backup.output.find("0 pruned") != std::string::npos, backup.output);
    // One complete dump under its final name, readable only by its owner; no temporary file left.
    auto files = testing::shell("cd '" + dir + "' && ls -A | grep -v '^.backup.lock$' && stat -c %a pnptv-*.dump");
    const std::string listing = files.output;
    BOOST_TEST(listing.rfind("pnptv-", 0) == 0u, listing);
    BOOST_TEST(listing.size() == std::string("pnptv-20260101T000000Z.dump\n600\n").size(), listing);
    BOOST_TEST(listing.find(".dump\n600\n") != std::string::npos, listing);
    const std::string dump = dir + "/" + listing.substr(0, listing.find('\n'));

    const std::string target = fresh().createdb("restored");
    auto same_server = [&](const std::string& a, const std::string& b) {
        return pnptv::Pg(a).exec("SHOW data_directory").get(0, 0) == pnptv::Pg(b).exec("SHOW data_directory").get(0, 0);
    };
    BOOST_TEST_REQUIRE(!same_server(source().url, target));  // another cluster altogether
    auto restore = testing::shell("PNPTV_ENV_FILE=/dev/null scripts/restore '" + dump + "' '" + target + "'");
    BOOST_TEST_REQUIRE(restore.status == 0, restore.output);
    BOOST_TEST(restore.output.find("Verify successful") != std::string::npos, restore.output);  // sqitch verify, every change
    BOOST_TEST(restore.output.find("* live_hosts ") != std::string::npos, restore.output);
    BOOST_TEST(restore.output.find("restore: rows per table") != std::string::npos, restore.output);
    BOOST_TEST(row_count(restore.output, "public.users") == "2", restore.output);
    BOOST_TEST(row_count(restore.output, "public.hangout_members") == "2", restore.output);

    const auto before = fingerprint(source().url), after = fingerprint(target);
    BOOST_TEST(before == after, "source:" << describe(before) << "\nrestored:" << describe(after));
    // Not a vacuous comparison: every table of the schema has rows (a table a migration adds
    // fails here until fill_sql gives it some), and the catalogue found them all.
    int public_tables = 0;
    for (const auto& [name, value] : before) {
        if (name.rfind("public.", 0) != 0) continue;
        ++public_tables;
        BOOST_TEST(value.rfind("0 ", 0) != 0u, name << " has no rows: fill it in fill_sql");
    }
    BOOST_TEST(public_tables >= 22);
    BOOST_TEST(before.count("sqitch.changes") == 1u);
    BOOST_TEST(before.at("sequence public.users_id_seq") == "2");
}

BOOST_AUTO_TEST_CASE(retention_keeps_the_newest_of_each_day_and_week) {
    const std::string dir = testing::temp_dir() + "/backups";
    // 2025-03-10 is a Monday (ISO week 11); the 8th and 9th are week 10, 1st and 2nd week 9.
    const std::vector<std::string> old = {"20250310T150000Z", "20250310T030000Z", "20250309T030000Z", "20250308T030000Z",
                                          "20250302T030000Z", "20250301T030000Z", "20250220T030000Z"};
    std::string make = "mkdir -p '" + dir + "' && cd '" + dir + "'\n";
    for (const auto& s : old) make += "echo old >pnptv-" + s + ".dump\n";
    make += "echo mine >notes.txt\necho other >db-20250101T000000Z.dump\necho half >.pnptv-20250311T030000Z.dump.partial\n";
    BOOST_TEST_REQUIRE(testing::shell(make).status == 0);

    auto r = with_settings(source().url, dir, "BACKUP_KEEP_DAILY=3 BACKUP_KEEP_WEEKLY=4 scripts/backup");
    BOOST_TEST_REQUIRE(r.status == 0, r.output);
    // Days: the new one, the 10th (its 15:00 backup), the 9th. Weeks: the new one's, week 11
    // (the 10th at 15:00), week 10 (the 9th), week 9 (the 2nd).
    for (const char* gone : {"20250310T030000Z", "20250308T030000Z", "20250301T030000Z", "20250220T030000Z"})
        BOOST_TEST(r.output.find("backup: pruned " + dir + "/pnptv-" + gone + ".dump\n") != std::string::npos, gone << "\n" << r.output);
    BOOST_TEST(r.output.find("backup: removed " + dir + "/.pnptv-20250311T030000Z.dump.partial") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("4 kept in " + dir) != std::string::npos, r.output);
    BOOST_TEST(r.output.find(", 4 pruned") != std::string::npos, r.output);
    auto left = testing::shell("cd '" + dir + "' && ls -A | grep -v '^.backup.lock$' | sed 's/^pnptv-20[3-9][0-9].*\\|^pnptv-202[6-9].*/NEW/'");
    BOOST_TEST(left.output == "db-20250101T000000Z.dump\nnotes.txt\npnptv-20250302T030000Z.dump\npnptv-20250309T030000Z.dump\n"
                              "pnptv-20250310T150000Z.dump\nNEW\n",
               left.output);

    // Keeping nothing by either rule still keeps the backup just made.
    auto none = with_settings(source().url, dir, "sleep 1; BACKUP_KEEP_DAILY=0 BACKUP_KEEP_WEEKLY=0 scripts/backup");
    BOOST_TEST_REQUIRE(none.status == 0, none.output);
    BOOST_TEST(none.output.find("1 kept in " + dir) != std::string::npos, none.output);
    auto dumps = testing::shell("cd '" + dir + "' && ls pnptv-*.dump | wc -l");
    BOOST_TEST(dumps.output == "1\n", dumps.output);
    auto bad = with_settings(source().url, dir, "BACKUP_KEEP_DAILY=seven scripts/backup || echo exit=$?");
    BOOST_TEST(bad.output.find("BACKUP_KEEP_DAILY must be a whole number") != std::string::npos, bad.output);
    BOOST_TEST(bad.output.find("exit=1") != std::string::npos, bad.output);
}

BOOST_AUTO_TEST_CASE(a_backup_that_fails_keeps_nothing_and_prunes_nothing) {
    const std::string dir = testing::temp_dir() + "/backups";
    BOOST_TEST_REQUIRE(testing::shell("mkdir -p '" + dir + "' && echo old >'" + dir + "/pnptv-20200101T000000Z.dump'").status == 0);
    const std::string nowhere = testing::last_line(testing::shell("pg_url \"$PNPTV_TEST_TMP\" no_such_database").output);
    auto r = with_settings(nowhere, dir, "scripts/backup || echo exit=$?");
    BOOST_TEST(r.output.find("backup: pg_dump failed; nothing was kept") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("exit=1") != std::string::npos, r.output);

    // A pg_dump that says it succeeded but left a file cut short (a full disk, a dying NFS
    // mount): the read-back catches it, and the file never gets a backup's name.
    const std::string shim = testing::temp_dir();
    BOOST_TEST_REQUIRE(testing::shell("cat >'" + shim + "/pg_dump' <<'SH'\n#!/bin/bash\n/usr/bin/pg_dump \"$@\" || exit\n"
                                      "for a in \"$@\"; do case $a in --file=*) f=${a#--file=} ;; esac; done\n"
                                      "truncate -s -64 \"$f\"\nSH\nchmod +x '" + shim + "/pg_dump'").status == 0);
    auto cut = with_settings(source().url, dir, "PATH='" + shim + "':$PATH scripts/backup || echo exit=$?");
    BOOST_TEST(cut.output.find("backup: pg_restore can't read the new dump to its end; nothing was kept") != std::string::npos, cut.output);
    BOOST_TEST(cut.output.find("exit=1") != std::string::npos, cut.output);

    auto missing = with_settings(source().url, "", "scripts/backup || echo exit=$?");
    BOOST_TEST(missing.output.find("backup: BACKUP_DIR is not set") != std::string::npos, missing.output);
    BOOST_TEST(missing.output.find("exit=1") != std::string::npos, missing.output);

    auto left = testing::shell("cd '" + dir + "' && ls -A | grep -v '^.backup.lock$'");
    BOOST_TEST(left.output == "pnptv-20200101T000000Z.dump\n", left.output);  // no new file, no partial, nothing pruned
}

BOOST_AUTO_TEST_CASE(restore_refuses_a_truncated_dump) {
    const std::string& dump = source_dump();
    const std::string target = fresh().createdb("from_truncated");
    const std::string dir = testing::temp_dir();
    // Cut in the middle, and cut only at the very end (the table of contents still reads).
    auto cut = testing::shell("size=$(stat -c %s '" + dump + "')\nhead -c $((size / 2)) '" + dump + "' >'" + dir + "/half.dump'\n"
                              "head -c $((size - 64)) '" + dump + "' >'" + dir + "/end.dump'\npg_restore --list '" + dir +
                              "/end.dump' >/dev/null && echo end-lists-fine");
    BOOST_TEST_REQUIRE(cut.status == 0, cut.output);
    BOOST_TEST(cut.output.find("end-lists-fine") != std::string::npos, cut.output);
    for (const char* name : {"half.dump", "end.dump"}) {
        const std::string path = dir + "/" + name;
        auto r = testing::shell("PNPTV_ENV_FILE=/dev/null scripts/restore '" + path + "' '" + target + "' || echo exit=$?");
        BOOST_TEST(r.output.find("restore: " + path + " is not a complete pg_dump custom-format archive (truncated or damaged)") !=
                       std::string::npos, r.output);
        BOOST_TEST(r.output.find("nothing was restored") != std::string::npos, r.output);
        BOOST_TEST(r.output.find("exit=1") != std::string::npos, r.output);
        BOOST_TEST(tables_in(target) == 0);  // the target untouched
    }
}

BOOST_AUTO_TEST_CASE(restore_refuses_a_non_empty_target_unless_forced) {
    const std::string& dump = source_dump();
    const auto before = fingerprint(source().url);
    auto r = testing::shell("PNPTV_ENV_FILE=/dev/null scripts/restore '" + dump + "' '" + source().url + "' || echo exit=$?");
    BOOST_TEST(r.output.find("restore: the target database " + source().name + " is not empty (it has public.audit_log, ") !=
                   std::string::npos, r.output);
    BOOST_TEST(r.output.find("add --force") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("exit=1") != std::string::npos, r.output);
    BOOST_TEST(fingerprint(source().url) == before);

    // The target by default is DATABASE_URL: refused the same way.
    auto dflt = with_settings(source().url, "", "scripts/restore '" + dump + "' || echo exit=$?");
    BOOST_TEST(dflt.output.find("is not empty") != std::string::npos, dflt.output);

    // A database with one extra table counts as not empty too.
    const std::string other = fresh().createdb("not_empty");
    pnptv::Pg(other).exec("CREATE TABLE notes (body text)");
    auto one = testing::shell("PNPTV_ENV_FILE=/dev/null scripts/restore '" + dump + "' '" + other + "' || echo exit=$?");
    BOOST_TEST(one.output.find("is not empty (it has public.notes): restore into a new database") != std::string::npos, one.output);

    // --force: a copy changed since (a row edited, one added) is put back exactly as dumped.
    const std::string copy = fresh().createdb("forced");
    BOOST_TEST_REQUIRE(testing::shell("PNPTV_ENV_FILE=/dev/null scripts/restore '" + dump + "' '" + copy + "'").status == 0);
    pnptv::Pg(copy).exec("UPDATE users SET first_name = 'changed' WHERE telegram_id = 910000001");
    pnptv::Pg(copy).exec("INSERT INTO telegram_updates (update_id, kind, outcome) VALUES (1, 'message', 'later')");
    BOOST_TEST(fingerprint(copy) != before);
    auto forced = testing::shell("PNPTV_ENV_FILE=/dev/null scripts/restore --force '" + dump + "' '" + copy + "'");
    BOOST_TEST_REQUIRE(forced.status == 0, forced.output);
    BOOST_TEST(forced.output.find("--force: each object the dump holds is dropped and recreated") != std::string::npos, forced.output);
    BOOST_TEST(fingerprint(copy) == before);
}

BOOST_AUTO_TEST_CASE(a_password_in_the_url_never_reaches_a_command_line) {
    // Every tool the scripts run, wrapped: what it was given on its command line and in PGPASSWORD.
    const std::string shim = testing::temp_dir(), log = shim + "/calls";
    std::string make;
    for (const char* tool : {"pg_dump", "pg_restore", "psql", "sqitch"})
        make += std::string("printf '#!/bin/bash\\necho \"%s args: $* env: ${PGPASSWORD-}\" >>") + log + "\\nexec /usr/bin/%s \"$@\"\\n' " +
                tool + " " + tool + " >'" + shim + "/" + tool + "' && chmod +x '" + shim + "/" + tool + "'\n";
    BOOST_TEST_REQUIRE(testing::shell(make).status == 0);
    auto with_password = [](std::string url) { return url.replace(url.find("://pnptv@"), 9, "://pnptv:s3cr%40t@"); };

    const std::string dir = testing::temp_dir() + "/backups";
    auto backup = with_settings(with_password(source().url), dir, "PATH='" + shim + "':$PATH scripts/backup");
    BOOST_TEST_REQUIRE(backup.status == 0, backup.output);
    const std::string dump = trimmed(testing::shell("ls '" + dir + "'/pnptv-*.dump").output);
    const std::string target = with_password(fresh().createdb("with_password"));
    auto restore = testing::shell("PNPTV_ENV_FILE=/dev/null PATH='" + shim + "':$PATH scripts/restore '" + dump + "' '" + target + "'");
    BOOST_TEST_REQUIRE(restore.status == 0, restore.output);

    std::istringstream calls(testing::shell("cat '" + log + "'").output);
    std::map<std::string, int> seen;
    for (std::string line; std::getline(calls, line);) {
        const size_t env = line.rfind(" env: ");
        BOOST_TEST_REQUIRE(env != std::string::npos, line);
        BOOST_TEST(line.substr(0, env).find("s3cr") == std::string::npos, line);
        BOOST_TEST(line.substr(env + 6) == "s3cr@t", line);
        ++seen[line.substr(0, line.find(' '))];
    }
    BOOST_TEST(seen["pg_dump"] == 1);
    BOOST_TEST(seen["pg_restore"] >= 3);  // backup's read-back, restore's check and the restore itself
    BOOST_TEST(seen["psql"] >= 1);
    BOOST_TEST(seen["sqitch"] == 1);
}
