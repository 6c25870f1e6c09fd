// The limit of scripts/bench-auth-guard: a FastCGI responder that does one Redis GET per request
// (of the key named by BENCH_KEY, on one connection reused across requests) and answers 200.
// No guard that must ask Redis can be faster than this; auth-verify's distance from it is waste.
#include <fcgiapp.h>
#include <hiredis/hiredis.h>

#include <cstdlib>
#include <cstring>

int main() {
    const char* url = std::getenv("REDIS_URL");  // unix:///path/redis.sock
    const char* key = std::getenv("BENCH_KEY");
    if (!url || std::strncmp(url, "unix://", 7) != 0 || !key) return 2;
    redisContext* redis = redisConnectUnix(url + 7);
    if (!redis || redis->err) return 1;
    FCGX_Init();
    FCGX_Request request;
    FCGX_InitRequest(&request, 0, 0);
    while (FCGX_Accept_r(&request) >= 0) {
        auto* reply = static_cast<redisReply*>(redisCommand(redis, "GET %s", key));
        bool ok = reply && reply->type == REDIS_REPLY_STRING;
        if (reply) freeReplyObject(reply);
        FCGX_PutS(ok ? "Status: 200 OK\r\nContent-Length: 0\r\n\r\n" : "Status: 401 Unauthorized\r\nContent-Length: 0\r\n\r\n",
                  request.out);
        FCGX_Finish_r(&request);
    }
    return 0;
}
