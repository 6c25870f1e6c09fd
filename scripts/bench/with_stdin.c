/* with-stdin FILE PROGRAM [ARGS…]: runs PROGRAM with FILE as its standard input, for timing a
   function in CGI mode on a request with a body (hyperfine runs commands without a shell).
   scripts/bench-cold-start measures this launcher's own cost and subtracts it. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0 || dup2(fd, 0) < 0) return 2;
    execv(argv[2], argv + 2);
    perror("execv");
    return 127;
}
