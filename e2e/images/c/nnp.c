/*
 * critest's no-new-privileges probe (the nonewprivs image): installed
 * setuid root, it prints the effective uid it runs with. With
 * no_new_privs set, exec ignores the setuid bit and it prints the caller's uid.
 */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("Effective uid: %d\n", (int)geteuid());
  return 0;
}
