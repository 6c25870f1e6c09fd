// The baseline of scripts/bench-auth-guard: a FastCGI responder that does nothing but answer
// 200, so the benchmark measures what auth-verify adds on top of FastCGI itself.
#include <fcgiapp.h>

int main() {
    FCGX_Init();
    FCGX_Request request;
    FCGX_InitRequest(&request, 0, 0);
    while (FCGX_Accept_r(&request) >= 0) {
        FCGX_PutS("Status: 200 OK\r\nContent-Length: 0\r\n\r\n", request.out);
        FCGX_Finish_r(&request);
    }
    return 0;
}
