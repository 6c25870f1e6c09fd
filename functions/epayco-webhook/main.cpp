#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(epayco_webhook::function(), argc, argv); }
