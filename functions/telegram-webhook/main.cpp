#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(telegram_webhook::function(), argc, argv); }
