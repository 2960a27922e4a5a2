/*
 * Finds this process's memory and CPU limits the way container-aware
 * runtimes do (libuv, the JVM, Go's GOMAXPROCS): its cgroup from
 * /proc/self/cgroup, where that cgroup is mounted from
 * /proc/self/mountinfo (cgroup2, or the v1 hierarchies of the memory and
 * cpu controllers), then the limit files there. Prints, the same for
 * either cgroup version:
 *   memory LIMIT|max
 *   cpu QUOTA|max PERIOD
 *   weight W          (v1 shares converted as runc converts them)
 *   procs N           (processes in its cgroup)
 * Exits 1 with a message when something is not found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char path_v2[256], path_mem[256], path_cpu[256];
static char dir_v2[512], dir_mem[512], dir_cpu[512];

static void die(const char *what) {
  fprintf(stderr, "cgroupinfo: %s\n", what);
  exit(1);
}

/* "N:controllers:path" lines: the v2 path ("0::") and the v1 paths of memory and cpu. */
static void read_self_cgroup(void) {
  FILE *f = fopen("/proc/self/cgroup", "r");
  if (!f) die("no /proc/self/cgroup");
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c1 = *c2 = 0;
    const char *ctrls = c1 + 1, *p = c2 + 1;
    if (strcmp(line, "0") == 0 && *ctrls == 0) snprintf(path_v2, sizeof path_v2, "%s", p);
    char list[256];
    snprintf(list, sizeof list, ",%s,", ctrls);
    if (strstr(list, ",memory,")) snprintf(path_mem, sizeof path_mem, "%s", p);
    if (strstr(list, ",cpu,")) snprintf(path_cpu, sizeof path_cpu, "%s", p);
  }
  fclose(f);
}

/* The directory of cgroup `path` under a mount of `root` at `mnt`. */
static void locate(char *out, const char *mnt, const char *root, const char *path) {
  size_t n = strlen(root);
  const char *rel = strcmp(root, "/") == 0 ? path : strncmp(path, root, n) == 0 ? path + n : NULL;
  if (!rel) return;
  snprintf(out, 512, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
}

static void read_mountinfo(void) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  if (!f) die("no /proc/self/mountinfo");
  char line[2048];
  while (fgets(line, sizeof line, f)) {
    char root[512], mnt[512], type[64], super[512];
    char *sep = strstr(line, " - ");
    if (!sep || sscanf(line, "%*d %*d %*s %511s %511s", root, mnt) != 2) continue;
    if (sscanf(sep + 3, "%63s %*s %511s", type, super) != 2) continue;
    char opts[520];
    snprintf(opts, sizeof opts, ",%s,", super);
    if (strcmp(type, "cgroup2") == 0 && path_v2[0]) locate(dir_v2, mnt, root, path_v2);
    if (strcmp(type, "cgroup") == 0 && strstr(opts, ",memory,")) locate(dir_mem, mnt, root, path_mem);
    if (strcmp(type, "cgroup") == 0 && strstr(opts, ",cpu,")) locate(dir_cpu, mnt, root, path_cpu);
  }
  fclose(f);
}

static int read_text(const char *dir, const char *file, char *buf, size_t len) {
  char p[600];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, len - 1, f);
  fclose(f);
  buf[n] = 0;
  return 1;
}

static long long read_num(const char *dir, const char *file) {
  char buf[64];
  if (!read_text(dir, file, buf, sizeof buf)) die(file);
  return atoll(buf);
}

static int count_lines(const char *dir, const char *file) {
  static char buf[65536];
  if (!read_text(dir, file, buf, sizeof buf)) die(file);
  int n = 0;
  for (char *c = buf; *c; c++) n += *c == '\n';
  return n;
}

int main(void) {
  read_self_cgroup();
  read_mountinfo();
  char buf[256];
  if (dir_v2[0] && read_text(dir_v2, "cgroup.controllers", buf, sizeof buf) && strstr(buf, "memory")) {
    if (!read_text(dir_v2, "memory.max", buf, sizeof buf)) die("memory.max");
    printf("memory %s", buf);
    if (!read_text(dir_v2, "cpu.max", buf, sizeof buf)) die("cpu.max");
    printf("cpu %s", buf);
    printf("weight %lld\n", read_num(dir_v2, "cpu.weight"));
    printf("procs %d\n", count_lines(dir_v2, "cgroup.procs"));
    return 0;
  }
  if (!dir_mem[0] || !dir_cpu[0]) die("no cgroup mount for memory and cpu");
  /* v1 reports "no limit" as the largest page-aligned value. */
  long long mem = read_num(dir_mem, "memory.limit_in_bytes");
  if (mem >= 0x7ffffffffffff000LL) printf("memory max\n");
  else printf("memory %lld\n", mem);
  long long quota = read_num(dir_cpu, "cpu.cfs_quota_us");
  long long period = read_num(dir_cpu, "cpu.cfs_period_us");
  if (quota < 0) printf("cpu max %lld\n", period);
  else printf("cpu %lld %lld\n", quota, period);
  long long shares = read_num(dir_cpu, "cpu.shares");
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  printf("weight %lld\n", 1 + ((shares - 2) * 9999) / 262142);
  printf("procs %d\n", count_lines(dir_mem, "cgroup.procs"));
  return 0;
}
