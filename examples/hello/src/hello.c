#include <stdio.h>
#include <string.h>

/* Greets the name given on the command line (default: kiln). */
int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : "kiln";
    if (strlen(name) > 64) {
        fprintf(stderr, "name too long\n");
        return 2;
    }
    printf("Hello, %s!\n", name);
    return 0;
}
