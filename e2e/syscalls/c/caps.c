/*
 * caps FILE: walks the capability rules of capabilities(7) and prints what
 * each step sees, so the sandbox can be compared with Linux byte for byte.
 * Started as root with (at least) the capabilities it keeps at the start;
 * it only ever lowers its own
 * privileges (and chowns FILE, a scratch file), so it is harmless natively.
 * Steps: /proc/self/status and capget agree; unknown capget versions;
 * capset subset rules; dropping CAP_CHOWN from the effective set makes
 * chown fail and raising it again works; a dropped bounding capability
 * cannot become inheritable; sethostname needs CAP_SYS_ADMIN; ambient
 * raise rules; keep-caps across setresuid; and what an exec'd non-root
 * child keeps (its ambient set only).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "say.h"

static void status_caps(const char *who) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs", 10) == 0) say("%s %s", who, line);
  }
  if (f) fclose(f);
}

static long rc(long r) { return r < 0 ? -errno : r; }

static struct __user_cap_data_struct data[2];

static long get(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  return rc(syscall(SYS_capget, &h, data));
}

static long set(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  return rc(syscall(SYS_capset, &h, data));
}

static unsigned long long eff(void) { return data[0].effective | (unsigned long long)data[1].effective << 32; }

static void lower(int cap, int effective, int permitted, int inheritable) {
  unsigned bit = 1u << (cap & 31);
  if (effective) data[cap >> 5].effective &= ~bit;
  if (permitted) data[cap >> 5].permitted &= ~bit;
  if (inheritable) data[cap >> 5].inheritable &= ~bit;
}

static void raise_(int cap, int effective, int permitted, int inheritable) {
  unsigned bit = 1u << (cap & 31);
  if (effective) data[cap >> 5].effective |= bit;
  if (permitted) data[cap >> 5].permitted |= bit;
  if (inheritable) data[cap >> 5].inheritable |= bit;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "child") == 0) {
    status_caps("child");
    say("child uid=%d euid=%d secure=%lu\n", getuid(), geteuid(), getauxval(AT_SECURE));
    say("child chown %ld\n", rc(chown("/", 0, 0)));
    return 0;
  }
  if (argc != 2) return 2;
  const char *file = argv[1];
  // A known starting point whatever the host grants: only these capabilities, in every set but inheritable.
  static const int keep[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SETPCAP,
                             CAP_NET_ADMIN, CAP_SYS_ADMIN};
  unsigned long long want = 0;
  for (unsigned i = 0; i < sizeof keep / sizeof keep[0]; i++) want |= 1ull << keep[i];
  for (int c = 0; c <= CAP_LAST_CAP; c++) {
    if (!(want >> c & 1) && prctl(PR_CAPBSET_DROP, c) != 0) return 3;
  }
  memset(data, 0, sizeof data);
  data[0].effective = data[0].permitted = (unsigned)want;
  data[1].effective = data[1].permitted = (unsigned)(want >> 32);
  if (set() != 0) return 4;
  status_caps("start");
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  long r;
  say("capget %ld eff=%llx\n", get(), eff());

  struct __user_cap_header_struct bad = {0x12345678, 0};
  r = rc(syscall(SYS_capget, &bad, data));
  say("capget bad version %ld version=%x\n", r, bad.version);
  bad.version = 0x12345678;
  r = rc(syscall(SYS_capget, &bad, NULL));
  say("capget bad version NULL data %ld version=%x\n", r, bad.version);
  struct __user_cap_header_struct v1 = {_LINUX_CAPABILITY_VERSION_1, 0};
  struct __user_cap_data_struct one[2] = {{0}};
  r = rc(syscall(SYS_capget, &v1, one));
  say("capget v1 %ld eff=%x second=%x\n", r, one[0].effective, one[1].effective);
  struct __user_cap_header_struct other = {_LINUX_CAPABILITY_VERSION_3, 99999};
  say("capget unknown pid %ld\n", rc(syscall(SYS_capget, &other, data)));
  say("capset other pid %ld\n", rc(syscall(SYS_capset, &other, data)));

  r = rc(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN));
  say("bounding SYS_ADMIN %ld, cap 64 %ld\n", r, rc(prctl(PR_CAPBSET_READ, 64)));

  get();
  lower(CAP_CHOWN, 1, 0, 0);
  r = set();
  get();
  say("drop effective CHOWN %ld eff=%llx\n", r, eff());
  say("chown without CHOWN %ld\n", rc(chown(file, 1234, -1)));
  raise_(CAP_CHOWN, 1, 0, 0);
  say("raise effective CHOWN %ld\n", set());
  struct stat st;
  say("chown with CHOWN %ld\n", rc(chown(file, 1234, -1)));
  stat(file, &st);
  say("owner %d\n", (int)st.st_uid);

  get();
  lower(CAP_SYS_ADMIN, 1, 1, 0);
  say("drop SYS_ADMIN %ld\n", set());
  say("sethostname without SYS_ADMIN %ld\n", rc(sethostname("nope", 4)));
  raise_(CAP_SYS_ADMIN, 0, 1, 0);
  say("raise permitted SYS_ADMIN again %ld\n", set());
  get();
  raise_(CAP_SYS_ADMIN, 1, 0, 0);
  say("effective beyond permitted %ld\n", set());

  r = rc(prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN));
  say("drop bounding NET_ADMIN %ld read %ld\n", r, rc(prctl(PR_CAPBSET_READ, CAP_NET_ADMIN)));
  get();
  raise_(CAP_NET_ADMIN, 0, 0, 1);
  say("inheritable outside bounding %ld\n", set());

  say("ambient raise KILL not inheritable %ld\n", rc(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0)));
  get();
  raise_(CAP_KILL, 0, 0, 1);
  say("inheritable KILL %ld\n", set());
  r = rc(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
  say("ambient raise KILL %ld is_set %ld\n", r, rc(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0)));
  say("ambient bad cap %ld\n", rc(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 64, 0, 0)));
  status_caps("ambient");

  r = rc(prctl(PR_SET_KEEPCAPS, 1));
  say("keepcaps %ld get %ld\n", r, rc(prctl(PR_GET_KEEPCAPS)));
  say("setresuid 1000 %ld\n", rc(setresuid(1000, 1000, 1000)));
  status_caps("keepcaps");
  get();
  raise_(CAP_KILL, 1, 0, 0);
  say("effective KILL from kept permitted %ld\n", set());
  say("ambient raise KILL after setuid %ld\n", rc(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0)));

  pid_t pid = fork();
  if (pid == 0) {
    // By descriptor: uid 1000 may not search the (private) directory the program is in.
    char *args[] = {argv[0], "child", NULL};
    fexecve(self, args, environ);
    _exit(127);
  }
  int ws;
  waitpid(pid, &ws, 0);
  say("child exit %d\n", WEXITSTATUS(ws));
  return 0;
}
