#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run_daemon(payment_worker::daemon(), argc, argv); }
