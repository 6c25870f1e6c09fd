// Agora AccessToken2 vectors (docs/protocols.md §6) and the decoder.
#define BOOST_TEST_MODULE agora
#include <boost/test/unit_test.hpp>

#include "agora.hpp"

using namespace pnptv;

namespace {
AgoraTokenRequest vector_request() {
    AgoraTokenRequest r;
    r.app_id = "970CA35de60c44645bbae8a215061b33";
    r.app_certificate = "5CFd2fd1755d40ecb72977518be15d3b";
    r.channel = "7d72365eb983485397e3e3f9d460bdda";
    r.issue_ts = 1111111;
    r.salt = 1;
    return r;
}
}  // namespace

BOOST_AUTO_TEST_CASE(publisher_vector) {
    auto r = vector_request();
    r.uid = 2882341273u;
    r.role = AgoraRole::publisher;
    r.expire_seconds = 600;
    BOOST_TEST(build_agora_rtc_token(r) ==
               "007eJxTYDhuGCT90E3Yo2+N3efJV5hX1K1MZAqae/Sa8UP9VXvOhfArMFiaGzg7GpumpJoZJJuYmJmYJiUlplokGhmaGpgZJhkbu38RYIhgYmBgZABhRgYWIAbxmcAkM5hkAZMKDOYp5kbGZqapSZYWxiYWpsaW5qnGqcZplikmZgZJKSmJXAxGFhZGxiaGRubGAKizJcs=");
}

BOOST_AUTO_TEST_CASE(subscriber_vector) {
    auto r = vector_request();
    r.uid = 2882341273u;
    r.role = AgoraRole::subscriber;
    r.expire_seconds = 600;
    BOOST_TEST(build_agora_rtc_token(r) ==
               "007eJxTYBBbsMMnKq7p9Hf/HcIX5kce9b518kCiQgSr5Zrp4X1Tu6UUGCzNDZwdjU1TUs0Mkk1MzExMk5ISUy0SjQxNDcwMk4yN3b8IMEQwMTAwMoAwBIL4CgzmKeZGxmamqUmWFsYmFqbGluapxqnGaZYpJmYGSSkpiVwMRhYWRsYmhkbmxgDCaiTj");
}

BOOST_AUTO_TEST_CASE(uid_zero_vector) {
    auto r = vector_request();
    r.uid = 0;
    r.role = AgoraRole::subscriber;
    r.expire_seconds = 3600;
    BOOST_TEST(build_agora_rtc_token(r) ==
               "007eJxTYNizhsPmWOYNpQ2XL2vzPeOeeahg00tfZw6PfzO+vM8R1KpVYLA0N3B2NDZNSTUzSDYxMTMxTUpKTLVINDI0NTAzTDI2dv8iwCDAx8DAyADCEAjiKzCYp5gbGZuZpiZZWhibWJgaW5qnGqcap1mmmJgZJKWkJDIwAACMUSMN");
}

BOOST_AUTO_TEST_CASE(decoder_reads_back_what_was_built) {
    auto r = vector_request();
    r.uid = 42;
    r.role = AgoraRole::publisher;
    r.expire_seconds = 900;
    r.salt = 0;      // random
    r.issue_ts = 0;  // now
    auto t = decode_agora_token(build_agora_rtc_token(r));
    BOOST_REQUIRE(t);
    BOOST_TEST(t->app_id == r.app_id);
    BOOST_TEST(t->channel == r.channel);
    BOOST_TEST(t->uid == "42");
    BOOST_TEST(t->expire == 900u);
    BOOST_TEST((t->salt >= 1 && t->salt <= 99999999u));
    BOOST_TEST(t->privileges.size() == 4u);
    BOOST_TEST(t->privileges.at(3) == 900u);
    BOOST_TEST(agora_signature_valid(*t, r.app_certificate));
    BOOST_TEST(!agora_signature_valid(*t, "0000000000000000000000000000000d"));
}

BOOST_AUTO_TEST_CASE(decoder_refuses_junk) {
    for (const char* bad : {"", "006abc", "007", "007!!!", "007eJxTYA==", "007aGVsbG8="})
        BOOST_TEST(!decode_agora_token(bad), bad);
}
