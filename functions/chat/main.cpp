#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(chat::function(), argc, argv); }
