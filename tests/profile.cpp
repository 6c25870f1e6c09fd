// functions/profile in process (real PostgreSQL, Redis and image-convert): one's own profile,
// edits and their bad inputs, avatars and hostile uploads, other people's profiles by
// visibility, follows with keyset pages, account deletion. Through nginx: serial_stack.
#define BOOST_TEST_MODULE profile
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "../functions/profile/handler.hpp"
#include "../functions/telegram-webhook/handler.hpp"
#include "people.hpp"
#include "pg.hpp"
#include "session.hpp"
#include "testing.hpp"

using namespace pnptv;
using testing::make_request;

namespace {

const Pairs image_values = testing::image_values();
Pairs profile_values() {
    Pairs v = {{"SESSION_SECRETS", "profile-secret"}, {"PUBLIC_BASE_URL", "https://pnptv.test"}};
    for (const auto& p : image_values) v.push_back(p);
    return v;
}
const auto settings = testing::settings<profile::Settings>(profile_values());
const std::string uploads = settings.images.uploads_dir;

testing::TestUser user(const std::string& name = "Ana", const std::string& tier = "free") {
    return testing::make_user(settings.web.session, name, "user", tier);
}

Response call(const std::string& method, const std::string& uri, const testing::TestUser* who = nullptr, const std::string& body = {},
              const std::string& type = "application/json") {
    Pairs headers;
    if (who) headers.emplace_back("cookie", who->cookie);
    if (!body.empty()) headers.emplace_back("content-type", type);
    return profile::handle(settings, make_request(method, uri, body, headers));
}

Response patch(const testing::TestUser& who, const Json& body) { return call("PATCH", "/api/webapp/profile", &who, body.dump()); }

std::string error_code(const Response& r) { return testing::body_json(r)["error"].value("code", ""); }
std::string error_field(const Response& r) { return testing::body_json(r)["error"].value("field", ""); }

const std::string boundary = "pnptvTestBoundary";
std::string file_form(const std::vector<std::pair<std::string, std::string>>& files, const std::string& type = "image/png") {
    std::string body;
    for (const auto& [name, bytes] : files)
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\nContent-Type: " + type +
                "\r\n\r\n" + bytes + "\r\n";
    return body + "--" + boundary + "--\r\n";
}
Response upload(const testing::TestUser& who, const std::string& form) {
    return call("POST", "/api/webapp/profile/avatar", &who, form, "multipart/form-data; boundary=" + boundary);
}

// Width and height of a WebP file (VP8, VP8L or VP8X), {0,0} when it isn't one.
std::pair<int, int> webp_size(const std::string& f) {
    auto u = [&](size_t i) { return static_cast<int>(static_cast<unsigned char>(f[i])); };
    if (f.size() < 30 || f.compare(0, 4, "RIFF") != 0 || f.compare(8, 4, "WEBP") != 0) return {0, 0};
    if (f.compare(12, 4, "VP8X") == 0) return {1 + (u(24) | u(25) << 8 | u(26) << 16), 1 + (u(27) | u(28) << 8 | u(29) << 16)};
    if (f.compare(12, 4, "VP8 ") == 0) return {(u(26) | u(27) << 8) & 0x3fff, (u(28) | u(29) << 8) & 0x3fff};
    if (f.compare(12, 4, "VP8L") == 0) {
        const unsigned bits = u(21) | u(22) << 8 | u(23) << 16 | static_cast<unsigned>(u(24)) << 24;
        return {1 + static_cast<int>(bits & 0x3fff), 1 + static_cast<int>((bits >> 14) & 0x3fff)};
    }
    return {0, 0};
}

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A PNG declaring w × h pixels with one tiny compressed row: a decompression bomb's shape.
std::string png_declaring(unsigned w, unsigned h) {
    auto be = [](unsigned v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
    auto chunk = [&](const std::string& type, const std::string& data) {
        const std::string body = type + data;
        return be(static_cast<unsigned>(data.size())) + body +
               be(static_cast<unsigned>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
    };
    std::string row(1 + 3 * 16, '\0');
    uLongf size = compressBound(static_cast<uLong>(row.size()));
    std::string idat(size, '\0');
    compress(reinterpret_cast<Bytef*>(idat.data()), &size, reinterpret_cast<const Bytef*>(row.data()), static_cast<uLong>(row.size()));
    idat.resize(size);
    return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", be(w) + be(h) + std::string("\x08\x02\x00\x00\x00", 5)) +
           chunk("IDAT", idat) + chunk("IEND", "");
}

// The bot receiving a message from a Telegram user (the real webhook handler).
Response bot_message(long long telegram_id, const std::string& first_name, const std::string& text) {
    static const auto bot = testing::settings<telegram_webhook::Settings>(
        {{"TELEGRAM_BOT_USERNAME", "PNPtvTestBot"}, {"TELEGRAM_WEBHOOK_SECRET", "hook"}, {"PUBLIC_BASE_URL", "https://pnptv.test"},
         {"PAYMENT_LINK_SECRET", "link"}, {"AGORA_APP_ID", "970CA35de60c44645bbae8a215061b33"},
         {"AGORA_APP_CERTIFICATE", "5CFd2fd1755d40ecb72977518be15d3b"}, {"HANGOUT_INVITE_SECRET", "invites"}});
    Json update = {{"update_id", testing::unique_number()},
                   {"message", {{"message_id", 1}, {"date", 1},
                                {"from", {{"id", telegram_id}, {"is_bot", false}, {"first_name", first_name}, {"username", "ana_tg"}}},
                                {"chat", {{"id", telegram_id}, {"type", "private"}}}, {"text", text}}}};
    return telegram_webhook::handle(bot, make_request("POST", "/webhook/telegram", update.dump(),
                                                      {{"content-type", "application/json"}, {"x-telegram-bot-api-secret-token", "hook"}}));
}

}  // namespace

BOOST_AUTO_TEST_CASE(own_profile_needs_a_session) {
    BOOST_TEST(call("GET", "/api/webapp/profile").status == 401);
    auto ana = user("Ana");
    auto r = call("GET", "/api/webapp/profile", &ana);
    BOOST_TEST(r.status == 200);
    Json p = testing::body_json(r)["profile"];
    BOOST_TEST(p["id"] == ana.id);
    BOOST_TEST(p["display_name"] == "Ana");  // Telegram's name until one is set
    BOOST_TEST(p["bio"] == "");
    BOOST_TEST(p["language"] == "en");
    BOOST_TEST(p["visibility"] == "public");
    BOOST_TEST(p["tier"] == "free");
    BOOST_TEST(p["subscription_ends_at"].is_null());
    BOOST_TEST(p["avatar"].is_null());
    BOOST_TEST(p["created_at"].get<std::string>().size() == 20u);
}

BOOST_AUTO_TEST_CASE(the_web_confirms_age_on_the_record_the_bot_writes) {
    auto ana = user("Ana");
    db().exec("UPDATE users SET age_verified_at = NULL WHERE id = $1", {ana.id});
    BOOST_TEST(testing::body_json(call("GET", "/api/webapp/profile", &ana))["profile"]["age_verified"] == false);
    // Bad callers change nothing: no session, another site's page, a GET.
    BOOST_TEST(error_code(call("PUT", "/api/webapp/profile/age-verification")) == "unauthenticated");
    Request foreign = make_request("PUT", "/api/webapp/profile/age-verification", {},
                                   {{"cookie", ana.cookie}, {"origin", "https://evil.example"}});
    BOOST_TEST(error_code(profile::handle(settings, foreign)) == "cross_site_request");
    BOOST_TEST(call("GET", "/api/webapp/profile/age-verification", &ana).status == 404);  // not a person's id
    BOOST_TEST(db().exec("SELECT age_verified_at IS NULL FROM users WHERE id = $1", {ana.id}).get_bool(0, 0));

    auto r = call("PUT", "/api/webapp/profile/age-verification", &ana);
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    BOOST_TEST(testing::body_json(r)["profile"]["age_verified"] == true);
    const std::string first = db().exec("SELECT age_verified_at::text FROM users WHERE id = $1", {ana.id}).get(0, 0);
    // Again, or the bot's button afterwards: the first confirmation's time stays.
    BOOST_TEST(call("PUT", "/api/webapp/profile/age-verification", &ana).status == 200);
    BOOST_TEST(confirm_age(ana.id).value_or("") == "Ana");
    BOOST_TEST(db().exec("SELECT age_verified_at::text FROM users WHERE id = $1", {ana.id}).get(0, 0) == first);
    BOOST_TEST(!confirm_age(-1).has_value());
}

BOOST_AUTO_TEST_CASE(editing_sets_what_is_sent_and_keeps_the_rest) {
    auto ana = user();
    auto r = patch(ana, {{"display_name", "  Ana María  "}, {"bio", "línea 1\nlínea 2"}, {"language", "es"}, {"visibility", "members"}});
    BOOST_TEST(r.status == 200);
    Json p = testing::body_json(r)["profile"];
    BOOST_TEST(p["display_name"] == "Ana María");
    BOOST_TEST(p["bio"] == "línea 1\nlínea 2");
    BOOST_TEST(p["language"] == "es");
    BOOST_TEST(p["visibility"] == "members");
    p = testing::body_json(patch(ana, {{"bio", ""}}))["profile"];  // an empty bio clears it; the rest stays
    BOOST_TEST(p["bio"] == "");
    BOOST_TEST(p["display_name"] == "Ana María");
    BOOST_TEST(db().exec("SELECT bio IS NULL AS cleared FROM users WHERE id = $1", {ana.id}).get_bool(0, "cleared"));
}

BOOST_AUTO_TEST_CASE(bad_edits_name_the_field_and_change_nothing) {
    auto ana = user("Ana");
    std::string bio500, bio501;
    for (int i = 0; i < 500; ++i) bio500 += "ñ";
    bio501 = bio500 + "ñ";
    struct Case {
        Json body;
        int status;
        std::string code, field;
    };
    const std::vector<Case> cases = {
        {{{"display_name", std::string(65, 'a')}}, 422, "invalid_length", "display_name"},
        {{{"display_name", "   "}}, 422, "invalid_length", "display_name"},
        {{{"display_name", "Ana\nMaría"}}, 422, "invalid_field", "display_name"},
        {{{"display_name", "Ana\u0007"}}, 422, "invalid_field", "display_name"},
        {{{"display_name", 42}}, 422, "invalid_field", "display_name"},
        {{{"bio", bio501}}, 422, "invalid_length", "bio"},
        {{{"bio", std::string("nul\0byte", 8)}}, 422, "invalid_field", "bio"},
        {{{"language", "fr"}}, 422, "invalid_field", "language"},
        {{{"visibility", "prime"}}, 422, "invalid_field", "visibility"},
        {{{"role", "admin"}}, 422, "unknown_field", "role"},
        {{{"bio", "ok"}, {"tier", "prime"}}, 422, "unknown_field", "tier"},
        // Names people can't see or that read backwards.
        {{{"display_name", "\u200b"}}, 422, "invalid_field", "display_name"},
        {{{"display_name", "\u3000\u00a0"}}, 422, "invalid_length", "display_name"},  // only white space
        {{{"display_name", "Admin\u202egnp.exe"}}, 422, "invalid_field", "display_name"},
        {{{"display_name", "\ufeffAna"}}, 422, "invalid_field", "display_name"},
        {{{"display_name", "Ana\u2028"}}, 422, "invalid_field", "display_name"},
        {{{"bio", "line\u2066isolate"}}, 422, "invalid_field", "bio"},
    };
    for (const auto& c : cases) {
        auto r = patch(ana, c.body);
        BOOST_TEST(r.status == c.status, c.body.dump());
        BOOST_TEST(error_code(r) == c.code, c.body.dump());
        BOOST_TEST(error_field(r) == c.field, c.body.dump());
    }
    BOOST_TEST(patch(ana, {{"bio", bio500}}).status == 200);  // 500 code points (1,000 bytes) fit
    // Unicode white space is trimmed; joiners emoji need stay.
    auto spaced = patch(ana, {{"display_name", "\u3000Ana \U0001F469\u200D\U0001F4BB\u00a0"}});
    BOOST_TEST(testing::body_json(spaced)["profile"]["display_name"] == "Ana \U0001F469\u200D\U0001F4BB");
    BOOST_TEST(patch(ana, {{"display_name", nullptr}}).status == 422);
    db().exec("UPDATE users SET display_name = NULL WHERE id = $1", {ana.id});
    // Invalid UTF-8, not JSON, not an object, another type, another site.
    BOOST_TEST(call("PATCH", "/api/webapp/profile", &ana, "{\"bio\":\"\xff\xfe\"}").status == 400);
    BOOST_TEST(call("PATCH", "/api/webapp/profile", &ana, "{bio:").status == 400);
    BOOST_TEST(call("PATCH", "/api/webapp/profile", &ana, "[1]").status == 400);
    BOOST_TEST(call("PATCH", "/api/webapp/profile", &ana, "bio=x", "application/x-www-form-urlencoded").status == 415);
    auto cross = profile::handle(settings, make_request("PATCH", "/api/webapp/profile", "{\"bio\":\"x\"}",
                                                        {{"cookie", ana.cookie}, {"content-type", "application/json"},
                                                         {"origin", "https://evil.example"}}));
    BOOST_TEST(cross.status == 403);
    BOOST_TEST(call("PATCH", "/api/webapp/profile", nullptr, "{\"bio\":\"x\"}").status == 401);
    auto row = db().exec("SELECT display_name IS NULL AS unnamed, bio, language FROM users WHERE id = $1", {ana.id});
    BOOST_TEST(row.get_bool(0, "unnamed"));
    BOOST_TEST(row.get(0, "bio") == bio500);
    BOOST_TEST(row.get(0, "language") == "en");
}

BOOST_AUTO_TEST_CASE(telegram_refreshes_its_own_fields_never_the_users) {
    auto ana = user("Ana");
    BOOST_TEST(patch(ana, {{"display_name", "La Ana"}, {"bio", "mine"}}).status == 200);
    BOOST_TEST(bot_message(ana.telegram_id, "Ana Renamed", "/help").status == 200);
    auto row = db().exec("SELECT first_name, username, display_name, bio FROM users WHERE id = $1", {ana.id});
    BOOST_TEST(row.get(0, "first_name") == "Ana Renamed");  // Telegram's, refreshed
    BOOST_TEST(row.get(0, "username") == "ana_tg");
    BOOST_TEST(row.get(0, "display_name") == "La Ana");      // the user's, kept
    BOOST_TEST(row.get(0, "bio") == "mine");
}

BOOST_AUTO_TEST_CASE(an_avatar_is_stored_as_two_webp_squares_and_replacing_it_removes_the_old) {
    auto ana = user();
    auto r = upload(ana, file_form({{"me.png", testing::fixture("photo.png")}}));
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    Json avatar = testing::body_json(r)["profile"]["avatar"];
    const std::string large = avatar["large"], small = avatar["small"];
    BOOST_TEST(large.rfind("/uploads/", 0) == 0u);
    const std::string hash = db().exec("SELECT avatar FROM users WHERE id = $1", {ana.id}).get(0, "avatar");
    BOOST_TEST(large == "/uploads/" + hash.substr(0, 2) + "/" + hash + "-512.webp");
    const std::string large_file = uploads + large.substr(std::string("/uploads").size());
    const std::string small_file = uploads + small.substr(std::string("/uploads").size());
    BOOST_TEST((webp_size(read(large_file)) == std::pair<int, int>{512, 512}));
    BOOST_TEST((webp_size(read(small_file)) == std::pair<int, int>{128, 128}));
    BOOST_TEST(testing::files_under(uploads + "/.staging").empty());

    // A new one (the JPEG, with EXIF): the old files go once the new row is committed.
    auto again = upload(ana, file_form({{"me.jpg", testing::fixture("photo-exif6.jpg")}}, "image/jpeg"));
    BOOST_TEST_REQUIRE(again.status == 200, again.body);
    BOOST_TEST(!std::filesystem::exists(large_file));
    BOOST_TEST(!std::filesystem::exists(small_file));
    const std::string now_large = testing::body_json(again)["profile"]["avatar"]["large"];
    const std::string stored = read(uploads + now_large.substr(8));
    BOOST_TEST((webp_size(stored) == std::pair<int, int>{512, 512}));
    BOOST_TEST(stored.find("Exif") == std::string::npos);  // metadata stripped
    // Removing it leaves no file.
    BOOST_TEST(call("DELETE", "/api/webapp/profile/avatar", &ana).status == 200);
    BOOST_TEST(!std::filesystem::exists(uploads + now_large.substr(8)));
}

BOOST_AUTO_TEST_CASE(markup_deep_inside_picture_data_is_not_mistaken_for_a_polyglot) {
    auto ana = user();
    // A JPEG with a comment segment whose middle happens to spell "<svg": far from either end.
    const std::string jpeg = testing::fixture("photo-exif6.jpg");
    std::string comment = std::string(1500, 'a') + "<svg" + std::string(1500, 'b');
    const size_t length = comment.size() + 2;
    std::string with_comment = jpeg.substr(0, 2) + "\xFF\xFE" + char(length >> 8) + char(length & 0xFF) + comment + jpeg.substr(2);
    BOOST_TEST(upload(ana, file_form({{"ok.jpg", with_comment}}, "image/jpeg")).status == 200);
    // The same marker in the first KiB is refused.
    std::string early = jpeg.substr(0, 2) + "\xFF\xFE" + char(0) + char(8) + "<svg>x" + jpeg.substr(2);
    BOOST_TEST(upload(ana, file_form({{"bad.jpg", early}}, "image/jpeg")).status == 415);
}

BOOST_AUTO_TEST_CASE(one_picture_two_people_one_file_kept_while_either_uses_it) {
    auto ana = user(), bea = user("Bea");
    BOOST_TEST(upload(ana, file_form({{"a.webp", testing::fixture("photo.webp")}}, "image/webp")).status == 200);
    auto r = upload(bea, file_form({{"b.webp", testing::fixture("photo.webp")}}, "image/webp"));
    const std::string large = testing::body_json(r)["profile"]["avatar"]["large"];
    BOOST_TEST(call("DELETE", "/api/webapp/profile/avatar", &ana).status == 200);
    BOOST_TEST(std::filesystem::exists(uploads + large.substr(8)));  // Bea still shows it
    BOOST_TEST(call("DELETE", "/api/webapp/profile/avatar", &bea).status == 200);
    BOOST_TEST(!std::filesystem::exists(uploads + large.substr(8)));
}

BOOST_AUTO_TEST_CASE(hostile_uploads_are_refused_and_store_nothing) {
    auto ana = user();
    BOOST_TEST_REQUIRE(upload(ana, file_form({{"ok.gif", testing::fixture("photo.gif")}}, "image/gif")).status == 200);
    const auto before = testing::files_under(uploads);
    const std::string avatar_before = db().exec("SELECT avatar FROM users WHERE id = $1", {ana.id}).get(0, "avatar");
    const std::string jpeg = testing::fixture("photo-exif6.jpg");
    struct Case {
        std::string what, form;
        int status;
        std::string code;
    };
    const std::vector<Case> cases = {
        {"a PNG declaring 50,000 x 50,000", file_form({{"bomb.png", png_declaring(50000, 50000)}}), 422, "too_many_pixels"},
        {"a truncated JPEG", file_form({{"cut.jpg", jpeg.substr(0, jpeg.size() / 2)}}, "image/jpeg"), 422, "undecodable_image"},
        {"HTML named and typed as an image", file_form({{"x.png", "<html><script>alert(1)</script></html>"}}), 415, "unsupported_image"},
        {"a script", file_form({{"x.jpg", "#!/bin/sh\nrm -rf /\n"}}, "image/jpeg"), 415, "unsupported_image"},
        {"a PNG with HTML after it (polyglot)", file_form({{"p.png", testing::fixture("photo.png") + "<html><script>x()</script>"}}), 415,
         "unsupported_image"},
        {"a GIF header over JavaScript (polyglot)", file_form({{"g.gif", "GIF89a/*\x01\x01*/=1;alert(document.cookie)//<script>"}}, "image/gif"),
         415, "unsupported_image"},
        {"an empty file", file_form({{"e.png", ""}}), 422, "empty_file"},
        {"6 MB", file_form({{"big.png", testing::fixture("photo.png") + std::string(6 * 1024 * 1024, '\0')}}), 413, "body_too_large"},
        {"two files", file_form({{"a.png", testing::fixture("photo.png")}, {"b.png", testing::fixture("photo.png")}}), 400, "one_file_only"},
        {"a form without a file", "--" + boundary + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n--" + boundary + "--\r\n",
         400, "missing_file"},
        {"a truncated form", file_form({{"a.png", testing::fixture("photo.png")}}).substr(0, 500), 400, "malformed_multipart"},
    };
    for (const auto& c : cases) {
        auto r = upload(ana, c.form);
        BOOST_TEST(r.status == c.status, c.what << ": " << r.body);
        BOOST_TEST(error_code(r) == c.code, c.what << ": " << r.body);
    }
    BOOST_TEST(call("POST", "/api/webapp/profile/avatar", &ana, "{}").status == 415);  // not a form
    // Larger than IMAGE_MAX_BYTES though within the body cap: the pipeline's own check.
    Pairs small = profile_values();
    small.push_back({"IMAGE_MAX_BYTES", "100000"});
    auto too_large = profile::handle(testing::settings<profile::Settings>(small),
                                     make_request("POST", "/api/webapp/profile/avatar", file_form({{"a.png", testing::fixture("photo.png")}}),
                                                  {{"cookie", ana.cookie}, {"content-type", "multipart/form-data; boundary=" + boundary}}));
    BOOST_TEST(too_large.status == 413);
    BOOST_TEST(error_code(too_large) == "file_too_large");
    // A form whose file input was left empty has no file.
    BOOST_TEST(error_code(upload(ana, file_form({{"", ""}}))) == "missing_file");
    BOOST_TEST(upload(testing::TestUser{}, file_form({{"a.png", testing::fixture("photo.png")}})).status == 401);
    BOOST_TEST(testing::files_under(uploads) == before);  // nothing stored, nothing left in staging
    BOOST_TEST(db().exec("SELECT avatar FROM users WHERE id = $1", {ana.id}).get(0, "avatar") == avatar_before);
}

BOOST_AUTO_TEST_CASE(a_decoder_that_crashes_or_hangs_takes_down_only_itself) {
    auto ana = user();
    const std::string dir = testing::temp_dir();
    // Stand-ins for a decoder a hostile file crashed or hung.
    BOOST_TEST_REQUIRE(testing::shell("printf '#!/bin/sh\\nkill -SEGV $$\\n' >'" + dir + "/crash' && "
                                      "printf '#!/bin/sh\\nwhile :; do :; done\\n' >'" + dir + "/spin' && chmod +x '" + dir + "/crash' '" + dir +
                                      "/spin'").status == 0);
    Pairs values = profile_values();
    values.push_back({"IMAGE_CONVERTER", dir + "/crash"});
    auto crashing = testing::settings<profile::Settings>(values);
    const std::string form = file_form({{"a.png", testing::fixture("photo.png")}});
    Pairs headers = {{"cookie", ana.cookie}, {"content-type", "multipart/form-data; boundary=" + boundary}};
    auto r = profile::handle(crashing, make_request("POST", "/api/webapp/profile/avatar", form, headers));
    BOOST_TEST(r.status == 422);
    BOOST_TEST(error_code(r) == "undecodable_image");
    values.push_back({"IMAGE_CONVERTER", dir + "/spin"});
    values.push_back({"IMAGE_DECODE_SECONDS", "1"});
    auto hanging = testing::settings<profile::Settings>(values);
    r = profile::handle(hanging, make_request("POST", "/api/webapp/profile/avatar", form, headers));
    BOOST_TEST(r.status == 422);  // killed at its CPU limit (or the wall clock), the function still answers
    // One that sleeps uses no CPU: the wall clock (CPU limit + 2 s) stops it.
    BOOST_TEST_REQUIRE(testing::shell("printf '#!/bin/sh\\nexec sleep 60\\n' >'" + dir + "/sleep' && chmod +x '" + dir + "/sleep'").status == 0);
    values.push_back({"IMAGE_CONVERTER", dir + "/sleep"});
    auto started = std::chrono::steady_clock::now();
    r = profile::handle(testing::settings<profile::Settings>(values), make_request("POST", "/api/webapp/profile/avatar", form, headers));
    BOOST_TEST(r.status == 422);
    const bool prompt = std::chrono::steady_clock::now() - started < std::chrono::seconds(10);
    BOOST_TEST(prompt);
    values.push_back({"IMAGE_CONVERTER", dir + "/missing"});
    r = profile::handle(testing::settings<profile::Settings>(values), make_request("POST", "/api/webapp/profile/avatar", form, headers));
    BOOST_TEST(r.status == 503);  // our fault, not the file's
    BOOST_TEST(db().exec("SELECT avatar IS NULL AS none FROM users WHERE id = $1", {ana.id}).get_bool(0, "none"));
}

BOOST_AUTO_TEST_CASE(other_profiles_by_visibility) {
    auto ana = user("Ana"), bea = user("Bea");
    const std::string ana_uri = "/api/webapp/profile/" + std::to_string(ana.id);
    auto pub = call("GET", ana_uri);  // public: no session needed
    BOOST_TEST(pub.status == 200);
    BOOST_TEST(testing::body_json(pub)["profile"]["display_name"] == "Ana");
    BOOST_TEST(testing::body_json(pub)["profile"].contains("language") == false);  // not another's business
    BOOST_TEST(patch(ana, {{"visibility", "members"}}).status == 200);
    BOOST_TEST(call("GET", ana_uri).status == 401);
    BOOST_TEST(call("GET", ana_uri, &bea).status == 200);
    BOOST_TEST(patch(ana, {{"visibility", "private"}}).status == 200);
    BOOST_TEST(call("GET", ana_uri, &bea).status == 404);
    BOOST_TEST(call("GET", ana_uri).status == 404);
    BOOST_TEST(call("GET", ana_uri, &ana).status == 200);  // one's own, always
    BOOST_TEST(call("GET", "/api/webapp/profile/999999999999", &bea).status == 404);
    BOOST_TEST(call("GET", "/api/webapp/profile/abc", &bea).status == 404);
    BOOST_TEST(call("GET", "/api/webapp/profile/-1", &bea).status == 404);
    BOOST_TEST(call("POST", ana_uri, &bea).status == 405);
}

BOOST_AUTO_TEST_CASE(follows_are_idempotent_and_paged_newest_first) {
    auto star = user("Star");
    const std::string base = "/api/webapp/profile/" + std::to_string(star.id);
    std::vector<long long> fans;
    for (int i = 0; i < 25; ++i) {
        auto fan = user("Fan" + std::to_string(i));
        BOOST_TEST(call("PUT", base + "/follow", &fan).status == 200);
        BOOST_TEST(call("PUT", base + "/follow", &fan).status == 200);  // twice is once
        fans.push_back(fan.id);
    }
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM follows WHERE followed_id = $1", {star.id}).get_int(0, "n") == 25);
    BOOST_TEST(call("PUT", base + "/follow", &star).status == 422);  // oneself
    BOOST_TEST(call("PUT", base + "/follow").status == 401);
    std::vector<long long> seen;
    std::string next = base + "/followers?limit=10";
    int pages = 0;
    for (; !next.empty() && pages < 10; ++pages) {
        auto r = call("GET", next, &star);
        BOOST_TEST_REQUIRE(r.status == 200, r.body);
        Json page = testing::body_json(r);
        for (auto& item : page["items"]) seen.push_back(item["id"]);
        next = page["next_cursor"].is_null() ? "" : base + "/followers?limit=10&cursor=" + page["next_cursor"].get<std::string>();
    }
    BOOST_TEST(pages == 3);
    std::vector<long long> expected(fans.rbegin(), fans.rend());  // newest first, each once
    BOOST_TEST(seen == expected, boost::test_tools::per_element());
    // A private follower is listed to nobody but themselves (and admins).
    db().exec("UPDATE users SET visibility = 'private' WHERE id = $1", {fans[5]});
    auto page = testing::body_json(call("GET", base + "/followers?limit=100", &star));
    BOOST_TEST(page["items"].size() == 24u);
    for (auto& item : page["items"]) BOOST_TEST(item["id"] != fans[5]);
    auto one = call("GET", "/api/webapp/profile/" + std::to_string(fans[0]) + "/following", &star);
    BOOST_TEST(testing::body_json(one)["items"].size() == 1u);
    BOOST_TEST(testing::body_json(one)["items"][0]["id"] == star.id);
    BOOST_TEST(call("GET", base + "/followers?cursor=garbage", &star).status == 400);
    BOOST_TEST(call("GET", base + "/followers?limit=0", &star).status == 400);
    BOOST_TEST(call("GET", base + "/followers?limit=101", &star).status == 400);
    BOOST_TEST(call("GET", base + "/followers").status == 401);
}

BOOST_AUTO_TEST_CASE(unfollowing_twice_is_once_and_private_people_cannot_be_followed) {
    auto ana = user(), bea = user("Bea");
    const std::string bea_follow = "/api/webapp/profile/" + std::to_string(bea.id) + "/follow";
    BOOST_TEST(call("PUT", bea_follow, &ana).status == 200);
    BOOST_TEST(call("DELETE", bea_follow, &ana).status == 200);
    BOOST_TEST(call("DELETE", bea_follow, &ana).status == 200);
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM follows WHERE followed_id = $1", {bea.id}).get_int(0, "n") == 0);
    BOOST_TEST(patch(bea, {{"visibility", "private"}}).status == 200);
    BOOST_TEST(call("PUT", bea_follow, &ana).status == 404);
}

BOOST_AUTO_TEST_CASE(deleting_an_account_leaves_no_session_no_content_no_file_and_frees_the_telegram_id) {
    auto ana = user("Ana", "prime");
    auto bea = user("Bea");
    BOOST_TEST(patch(ana, {{"display_name", "Ana P"}, {"bio", "about me"}}).status == 200);
    auto up = upload(ana, file_form({{"a.png", testing::fixture("photo.png")}}));
    BOOST_TEST_REQUIRE(up.status == 200);
    const std::string avatar = testing::body_json(up)["profile"]["avatar"]["large"];
    // A second session, a post with an image file, a like and a comment of hers, a follow each way.
    SessionUser su;
    su.id = ana.id;
    su.telegram_id = ana.telegram_id;
    const std::string other_sid = create_session(settings.web.session, su);
    const std::string post_image = std::string(64, 'e');
    const std::string image_file = uploads + "/ee/" + post_image + "-1280.webp";
    std::filesystem::create_directories(uploads + "/ee");
    std::ofstream(image_file) << "x";
    long long post = db().exec("INSERT INTO social_posts (user_id, body, image) VALUES ($1, 'mine', $2) RETURNING id", {ana.id, post_image})
                         .get_int(0, "id");
    long long bea_post = db().exec("INSERT INTO social_posts (user_id, body) VALUES ($1, 'hers') RETURNING id", {bea.id}).get_int(0, "id");
    db().exec("INSERT INTO post_likes (user_id, post_id) VALUES ($1, $2), ($3, $2)", {ana.id, bea_post, bea.id});
    db().exec("INSERT INTO post_comments (user_id, post_id, body) VALUES ($1, $2, 'nice')", {ana.id, bea_post});
    db().exec("INSERT INTO follows (follower_id, followed_id) VALUES ($1, $2), ($2, $1)", {ana.id, bea.id});
    db().exec("INSERT INTO subscriptions (user_id, plan_id, status, starts_at, ends_at) "
              "VALUES ($1, 'prime-monthly-usd', 'active', now(), now() + interval '30 days')", {ana.id});

    auto r = call("DELETE", "/api/webapp/profile", &ana);
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    BOOST_TEST(testing::body_json(r)["deleted"] == true);
    BOOST_TEST_REQUIRE(r.set_cookies.size() == 2u);  // the site's cookie and a Mini App's partitioned one
    for (const auto& c : r.set_cookies) BOOST_TEST(c.find("connect.sid=;") == 0u);
    BOOST_TEST(r.set_cookies[1].find("; Partitioned") != std::string::npos);
    // No session of hers verifies, the cookie's nor the other one.
    BOOST_TEST(!identify(settings.web.session, make_request("GET", "/", {}, {{"cookie", ana.cookie}})).has_value());
    BOOST_TEST(!identify_cookie(settings.web.session, session_cookie_value(other_sid, "profile-secret")).has_value());
    BOOST_TEST(call("GET", "/api/webapp/profile", &ana).status == 401);
    // Nothing of hers is left but the anonymous row; her files are gone.
    auto row = db().exec("SELECT telegram_id IS NULL AS released, first_name, display_name IS NULL AS unnamed, bio IS NULL AS no_bio, "
                         "avatar IS NULL AS no_avatar, deleted_at IS NOT NULL AS deleted, tier FROM users WHERE id = $1", {ana.id});
    BOOST_TEST(row.get_bool(0, "released"));
    BOOST_TEST(row.get(0, "first_name") == "");
    BOOST_TEST(row.get_bool(0, "unnamed"));
    BOOST_TEST(row.get_bool(0, "no_bio"));
    BOOST_TEST(row.get_bool(0, "no_avatar"));
    BOOST_TEST(row.get_bool(0, "deleted"));
    BOOST_TEST(row.get(0, "tier") == "free");
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM social_posts WHERE id = $1", {post}).get_int(0, "n") == 0);
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM post_likes WHERE user_id = $1", {ana.id}).get_int(0, "n") == 0);
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM post_likes WHERE post_id = $1", {bea_post}).get_int(0, "n") == 1);  // Bea's own
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM post_comments WHERE user_id = $1", {ana.id}).get_int(0, "n") == 0);
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM follows WHERE $1 IN (follower_id, followed_id)", {ana.id}).get_int(0, "n") == 0);
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM subscriptions WHERE user_id = $1 AND status = 'active'", {ana.id}).get_int(0, "n") == 0);
    BOOST_TEST(!std::filesystem::exists(uploads + avatar.substr(8)));
    BOOST_TEST(!std::filesystem::exists(image_file));
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM audit_log WHERE action = 'user.delete_account' AND subject_id = $1",
                         {std::to_string(ana.id)}).get_int(0, "n") == 1);
    // She is told on Telegram (the message queued with her old chat id).
    auto told = db().exec("SELECT payload->>'chat_id' AS chat FROM outbox WHERE user_id = $1 AND dedupe_key = $2",
                          {ana.id, "account-deleted:" + std::to_string(ana.id)});
    BOOST_TEST_REQUIRE(told.rows() == 1);
    BOOST_TEST(told.get(0, "chat") == std::to_string(ana.telegram_id));
    // Coming back on Telegram makes a new account, not the old one with its PRIME.
    BOOST_TEST(bot_message(ana.telegram_id, "Ana", "/start").status == 200);
    auto again = db().exec("SELECT id, tier FROM users WHERE telegram_id = $1", {ana.telegram_id});
    BOOST_TEST_REQUIRE(again.rows() == 1);
    BOOST_TEST(again.get_int(0, "id") != ana.id);
    BOOST_TEST(again.get(0, "tier") == "free");
    // Deleting twice: no session, so 401.
    BOOST_TEST(call("DELETE", "/api/webapp/profile", &ana).status == 401);
}
