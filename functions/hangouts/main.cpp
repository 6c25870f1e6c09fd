#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(hangouts::function(), argc, argv); }
