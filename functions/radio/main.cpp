#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(radio::function(), argc, argv); }
