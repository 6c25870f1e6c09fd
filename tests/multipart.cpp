// The bounded multipart/form-data parser (common/multipart.hpp), the request field readers
// (fields.hpp) and keyset cursors (cursor.hpp): pure code, no stores.
#define BOOST_TEST_MODULE multipart
#include <boost/test/unit_test.hpp>

#include "cursor.hpp"
#include "fields.hpp"
#include "multipart.hpp"
#include "testing.hpp"
#include "text.hpp"

using namespace pnptv;

namespace {

const std::string boundary = "----pnptvBoundary7MA4YWxkTrZu0gW";

std::string form(const std::string& b = boundary) {
    return "preamble to ignore\r\n"
           "--" + b + "\r\n"
           "Content-Disposition: form-data; name=\"body\"\r\n"
           "\r\n"
           "hola\r\nmundo\r\n"
           "--" + b + "\r\n"
           "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".png\"\r\n"
           "Content-Type: image/png\r\n"
           "\r\n"
           "\x89PNG\r\n--not-the-boundary\r\n-" + b + "\r\n"  // a boundary lookalike not after CRLF--
           "--" + b + "--\r\n"
           "epilogue to ignore";
}

int status_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const HttpError& e) {
        return e.status;
    }
    return 0;
}

std::vector<MultipartPart> parse(const std::string& body, MultipartLimits limits = {}) {
    MultipartParser p(boundary, limits);
    p.feed(body);
    return p.finish();
}

}  // namespace

BOOST_AUTO_TEST_CASE(parses_fields_and_files) {
    auto parts = parse(form());
    BOOST_REQUIRE(parts.size() == 2u);
    BOOST_TEST(parts[0].name == "body");
    BOOST_TEST(!parts[0].filename.has_value());
    BOOST_TEST(parts[0].data == "hola\r\nmundo");
    BOOST_TEST(parts[1].name == "file");
    BOOST_TEST(parts[1].filename.value_or("") == "a \"b\".png");
    BOOST_TEST(parts[1].content_type == "image/png");
    BOOST_TEST(parts[1].data == "\x89PNG\r\n--not-the-boundary\r\n-" + boundary);
}

BOOST_AUTO_TEST_CASE(any_chunking_gives_the_same_parts) {
    const std::string body = form();
    const auto whole = parse(body);
    for (size_t split = 1; split < body.size(); ++split) {
        MultipartParser p(boundary, {});
        p.feed(body.substr(0, split));
        p.feed(body.substr(split));
        auto parts = p.finish();
        BOOST_REQUIRE(parts.size() == 2u);
        BOOST_TEST(parts[0].data == whole[0].data, "split at " << split);
        BOOST_TEST(parts[1].data == whole[1].data, "split at " << split);
    }
    MultipartParser bytewise(boundary, {});
    for (char c : body) bytewise.feed(std::string_view(&c, 1));
    BOOST_TEST(bytewise.finish()[1].data == whole[1].data);
}

BOOST_AUTO_TEST_CASE(boundary_comes_from_the_content_type) {
    BOOST_TEST(multipart_boundary("multipart/form-data; boundary=abc") == "abc");
    BOOST_TEST(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"") == "a b:c");
    BOOST_TEST(status_of([] { multipart_boundary("application/json"); }) == 415);
    BOOST_TEST(status_of([] { multipart_boundary("multipart/form-data"); }) == 400);
    BOOST_TEST(status_of([] { multipart_boundary("multipart/form-data; boundary="); }) == 400);
    BOOST_TEST(status_of([] { multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')); }) == 400);
    BOOST_TEST(status_of([] { multipart_boundary("multipart/form-data; boundary=a\rb"); }) == 400);
    BOOST_TEST(status_of([] { multipart_boundary("multipart/form-data; boundary=\"open"); }) == 400);
}

BOOST_AUTO_TEST_CASE(malformed_bodies_are_400) {
    const std::string part = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
    BOOST_TEST(status_of([&] { parse(""); }) == 400);                                   // no boundary at all
    BOOST_TEST(status_of([&] { parse(part); }) == 400);                                 // truncated: no closing delimiter
    BOOST_TEST(status_of([&] { parse(part.substr(0, part.size() - 10)); }) == 400);    // truncated inside a part
    BOOST_TEST(status_of([&] { parse("--" + boundary + "\r\nno colon here\r\n\r\nx\r\n--" + boundary + "--"); }) == 400);
    BOOST_TEST(status_of([&] { parse("--" + boundary + "\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + boundary + "--"); }) == 400);
    BOOST_TEST(status_of([&] { parse("--" + boundary + "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--" + boundary + "--"); }) == 400);
    BOOST_TEST(status_of([&] { parse("--" + boundary + "\r\nContent-Disposition: form-data\r\n\r\nx\r\n--" + boundary + "--"); }) == 400);
    BOOST_TEST(status_of([&] { parse("--" + boundary + "garbage\r\n"); }) == 400);
    // The boundary inside a part's data, after CRLF: it ends the part, and what follows is no part.
    BOOST_TEST(status_of([&] { parse(part + "--" + boundary + "\r\nnot headers\r\n\r\n--" + boundary + "--"); }) == 400);
    // A complete form parses (the checks above fail for what they name, not for everything).
    BOOST_TEST(parse(part + "--" + boundary + "--").size() == 1u);
}

BOOST_AUTO_TEST_CASE(limits_are_enforced_while_reading) {
    const std::string part = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
    std::string three = part + part + part + "--" + boundary + "--";
    BOOST_TEST(parse(three, {3, 1024, 1 << 20}).size() == 3u);
    BOOST_TEST(status_of([&] { parse(three, {2, 1024, 1 << 20}); }) == 413);
    BOOST_TEST(status_of([&] { parse(three, {3, 1024, 100}); }) == 413);
    const std::string long_header = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: " +
                                    std::string(2000, 'p') + "\r\n\r\nx\r\n--" + boundary + "--";
    BOOST_TEST(status_of([&] { parse(long_header, {4, 1024, 1 << 20}); }) == 400);
    // Fed in small chunks, an endless header is refused once it passes the cap, not at the end.
    MultipartParser p(boundary, {4, 1024, 1 << 20});
    p.feed("--" + boundary + "\r\nX: ");
    BOOST_TEST(status_of([&] {
                   for (int i = 0; i < 100; ++i) p.feed(std::string(100, 'h'));
               }) == 400);
}

BOOST_AUTO_TEST_CASE(a_whole_request) {
    auto r = testing::make_request("POST", "/x", form(), {{"content-type", "multipart/form-data; boundary=" + boundary}});
    BOOST_TEST(parse_multipart(r, {}).size() == 2u);
    auto json = testing::make_request("POST", "/x", "{}", {{"content-type", "application/json"}});
    BOOST_TEST(status_of([&] { parse_multipart(json, {}); }) == 415);
}

// ---------------------------------------------------------------- request fields

BOOST_AUTO_TEST_CASE(text_fields_are_checked_in_code_points) {
    Json body = {{"name", "  Ana  "}, {"bio", "línea 1\nlínea 2"}, {"ctl", "a\x01z"}, {"num", 5}, {"c1", "a\xc2\x85z"}};
    BOOST_TEST(*text_field(body, "name", {1, 64}) == "Ana");
    BOOST_TEST(!text_field(body, "absent", {1, 64}));
    BOOST_TEST(*text_field(body, "bio", {0, 500, true}) == "línea 1\nlínea 2");
    BOOST_TEST(status_of([&] { text_field(body, "bio", {0, 500, false}); }) == 422);  // a newline in a name
    BOOST_TEST(status_of([&] { text_field(body, "ctl", {0, 500, true}); }) == 422);
    BOOST_TEST(status_of([&] { text_field(body, "c1", {0, 500, true}); }) == 422);   // U+0085, a C1 control
    BOOST_TEST(status_of([&] { text_field(body, "num", {0, 500}); }) == 422);
    // 500 two-byte characters are 1,000 bytes and 500 characters: allowed; 501 are not.
    std::string n500, n501;
    for (int i = 0; i < 500; ++i) n500 += "ñ";
    n501 = n500 + "ñ";
    BOOST_TEST(text_field(Json{{"b", n500}}, "b", {0, 500})->size() == 1000u);
    try {
        text_field(Json{{"b", n501}}, "b", {0, 500});
        BOOST_FAIL("501 characters accepted");
    } catch (const HttpError& e) {
        BOOST_TEST(e.status == 422);
        BOOST_TEST(e.field == "b");
    }
    BOOST_TEST(status_of([&] { text_field(Json{{"b", "   "}}, "b", {1, 64}); }) == 422);  // empty after trimming
    BOOST_TEST(status_of([&] { checked_text("\xff\xfe", "b", {0, 64}); }) == 400);       // not UTF-8
}

BOOST_AUTO_TEST_CASE(unknown_fields_and_choices) {
    try {
        reject_unknown_fields(Json{{"bio", ""}, {"role", "admin"}}, {"bio", "language"});
        BOOST_FAIL("an unknown field passed");
    } catch (const HttpError& e) {
        BOOST_TEST(e.status == 422);
        BOOST_TEST(e.code == "unknown_field");
        BOOST_TEST(e.field == "role");
    }
    BOOST_TEST(*choice_field(Json{{"l", "es"}}, "l", {"en", "es"}) == "es");
    BOOST_TEST(status_of([] { choice_field(Json{{"l", "fr"}}, "l", {"en", "es"}); }) == 422);
    BOOST_TEST(status_of([] { choice_field(Json{{"l", 1}}, "l", {"en", "es"}); }) == 422);
    BOOST_TEST(*flag_field(Json{{"f", true}}, "f"));
    BOOST_TEST(status_of([] { flag_field(Json{{"f", "true"}}, "f"); }) == 422);
    BOOST_TEST(*count_field(Json{{"n", 90}}, "n", 0, 100) == 90);
    BOOST_TEST(status_of([] { count_field(Json{{"n", 101}}, "n", 0, 100); }) == 422);
    BOOST_TEST(status_of([] { count_field(Json{{"n", 1.5}}, "n", 0, 100); }) == 422);
}

BOOST_AUTO_TEST_CASE(cursors_round_trip_and_refuse_what_they_did_not_make) {
    Cursor c{1764170000123456, 42};
    auto r = testing::make_request("GET", "/x?cursor=" + encode_cursor(c));
    auto back = cursor_param(r);
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST(back->micros == c.micros);
    BOOST_TEST(back->id == c.id);
    BOOST_TEST(!cursor_param(testing::make_request("GET", "/x")).has_value());
    for (const char* bad : {"x", "!!!", "MTIz", "LTEuMg", "MTIzLg"})  // junk, "123", "-1.2", "123."
        BOOST_TEST(status_of([&] { cursor_param(testing::make_request("GET", std::string("/x?cursor=") + bad)); }) == 400, bad);
    BOOST_TEST(page_limit(testing::make_request("GET", "/x"), 20, 50) == 20);
    BOOST_TEST(page_limit(testing::make_request("GET", "/x?limit=50"), 20, 50) == 50);
    for (const char* bad : {"0", "51", "-1", "x", ""})
        BOOST_TEST(status_of([&] { page_limit(testing::make_request("GET", std::string("/x?limit=") + bad), 20, 50); }) == 400, bad);
}
