#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(auth_verify::function(), argc, argv); }
