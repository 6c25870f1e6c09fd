#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(social::function(), argc, argv); }
