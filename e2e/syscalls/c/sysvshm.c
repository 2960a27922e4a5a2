/*
 * System V shared memory compared with Linux: a private segment written by
 * a forked child and by an exec'd (unrelated-image) process and read by
 * the parent; IPC_STAT fields (size, nattch, mode, cpid/lpid relative to
 * the pids involved, times set or not); keys with IPC_CREAT/IPC_EXCL;
 * IPC_SET; IPC_RMID while attached (SHM_DEST, key gone, freed at the last
 * detach); SHM_RDONLY (a store is SIGSEGV, mprotect EACCES); SHM_RND,
 * SHM_REMAP; /proc/self/maps; SHM_STAT, IPC_INFO, SHM_LOCK; errors, and
 * permission checks from a non-root child. Ids, keys and pids differ
 * between runs, so only their relations are printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "say.h"

static const char *err(long rc) { return rc < 0 ? strerrorname_np(errno) : "ok"; }

static struct shmid_ds st(int id) {
  struct shmid_ds ds;
  memset(&ds, 0, sizeof ds);
  if (shmctl(id, IPC_STAT, &ds) < 0) say("IPC_STAT failed: %s\n", strerrorname_np(errno));
  return ds;
}

static void show(const char *when, int id, pid_t lpid_want) {
  struct shmid_ds ds = st(id);
  say("%s: size=%zu nattch=%lu mode=%o key0=%d cpid_self=%d lpid_ok=%d uid=%u cuid=%u atime_set=%d dtime_set=%d ctime_set=%d\n", when,
      ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_perm.mode, ds.shm_perm.__key == 0, ds.shm_cpid == getpid(),
      ds.shm_lpid == lpid_want, ds.shm_perm.uid, ds.shm_perm.cuid, ds.shm_atime != 0, ds.shm_dtime != 0, ds.shm_ctime != 0);
}

/* The exec'd image: attaches the segment by id, reads what the parent wrote, answers. */
static int attacher(int id) {
  char *p = shmat(id, NULL, 0);
  if (p == (void *)-1) return say("exec'd shmat: %s\n", strerrorname_np(errno)), 1;
  say("exec'd reads: %s\n", p + 100);
  strcpy(p + 200, "answer from exec'd process");
  return shmdt(p) == 0 ? 0 : 2;
}

static void permissions(int id, key_t key) {
  pid_t pid = fork();
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(9);
    struct shmid_ds ds;
    say("nobody shmget 0600: %s\n", err(shmget(key, 0, 0600)));
    say("nobody shmget 0: %s\n", err(shmget(key, 0, 0)));
    say("nobody shmat: %s\n", err((long)shmat(id, NULL, 0) == -1 ? -1 : 0));
    say("nobody IPC_STAT: %s\n", err(shmctl(id, IPC_STAT, &ds)));
    say("nobody IPC_RMID: %s\n", err(shmctl(id, IPC_RMID, NULL)));
    say("nobody SHM_LOCK: %s\n", err(shmctl(id, SHM_LOCK, NULL)));
    int own = shmget(IPC_PRIVATE, 4096, 0600);
    say("nobody own segment: %s\n", err(own));
    say("nobody own IPC_STAT: %s\n", err(shmctl(own, IPC_STAT, &ds)));
    say("nobody own uid=%u cuid=%u\n", ds.shm_perm.uid, ds.shm_perm.cuid);
    say("nobody own RMID: %s\n", err(shmctl(own, IPC_RMID, NULL)));
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "attach") == 0) return attacher(atoi(argv[2]));

  /* Creation and a first look. */
  int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
  if (id < 0) return say("shmget: %s\n", strerrorname_np(errno)), 1;
  show("created", id, 0);
  char *p = shmat(id, NULL, 0);
  if (p == (void *)-1) return say("shmat: %s\n", strerrorname_np(errno)), 1;
  say("attached page aligned: %d, zero: %d\n", (uintptr_t)p % 4096 == 0, p[0] == 0 && p[9999] == 0);
  show("attached", id, getpid());

  /* /proc/self/maps shows the segment as its unlinked shm file, inode = id. */
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[512], want[64];
  snprintf(want, sizeof want, " 00:01 %d ", id);
  int seen = 0;
  while (maps != NULL && fgets(line, sizeof line, maps) != NULL)
    if (strstr(line, "rw-s 00000000") && strstr(line, want) && strstr(line, "/SYSV00000000 (deleted)")) seen++;
  if (maps != NULL) fclose(maps);
  say("maps lines: %d\n", seen);

  /* A forked child inherits the attachment and writes; its exit detaches. */
  pid_t child = fork();
  if (child == 0) {
    struct shmid_ds ds = st(id);
    say("child sees nattch=%lu\n", (unsigned long)ds.shm_nattch);
    strcpy(p, "hello from the child");
    strcpy(p + 9000, "end of segment");
    _exit(0);
  }
  waitpid(child, NULL, 0);
  say("parent reads: %s / %s\n", p, p + 9000);
  show("after child exit", id, child);

  /* An exec'd process (which drops the inherited attachment) attaches by id. */
  strcpy(p + 100, "question from the parent");
  child = fork();
  if (child == 0) {
    char ids[16];
    snprintf(ids, sizeof ids, "%d", id);
    execl("/proc/self/exe", argv[0], "attach", ids, (char *)NULL);
    _exit(127);
  }
  int status;
  waitpid(child, &status, 0);
  say("exec'd exit %d, parent reads: %s\n", WEXITSTATUS(status), p + 200);
  show("after exec'd", id, child);

  /* A process-shared semaphore in the segment: a child that attached it at another address waits, the parent posts. */
  sem_t *sem = (sem_t *)(p + 4096);
  sem_init(sem, 1, 0);
  child = fork();
  if (child == 0) {
    char *again = shmat(id, NULL, 0);
    shmdt(p);
    if (again == (void *)-1 || again == p) _exit(3);
    _exit(sem_wait((sem_t *)(again + 4096)) == 0 ? 0 : 4);
  }
  usleep(50000);
  say("sem_post: %s\n", err(sem_post(sem)));
  waitpid(child, &status, 0);
  say("child woken by the semaphore: exit %d\n", WEXITSTATUS(status));

  /* Read-only attachments. */
  char *ro = shmat(id, NULL, SHM_RDONLY);
  say("rdonly reads: %s\n", ro == (void *)-1 ? "failed" : ro);
  say("mprotect write on rdonly: %s\n", err(mprotect(ro, 4096, PROT_READ | PROT_WRITE)));
  show("two attachments", id, getpid());
  child = fork();
  if (child == 0) {
    ro[0] = 'x';
    _exit(0);
  }
  waitpid(child, &status, 0);
  say("store to rdonly: signaled=%d sig=%d\n", WIFSIGNALED(status), WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  say("shmdt rdonly: %s\n", err(shmdt(ro)));

  /* Addresses: SHM_RND, occupied ranges, SHM_REMAP. */
  char *area = mmap(NULL, 4 * 16384, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  say("unaligned: %s\n", err((long)shmat(id, area + 1, 0) == -1 ? -1 : 0));
  say("over a mapping: %s\n", err((long)shmat(id, area, 0) == -1 ? -1 : 0));
  char *rnd = shmat(id, area + 5, SHM_RND | SHM_REMAP);
  say("SHM_RND|SHM_REMAP at area: %d, reads: %s\n", rnd == area, rnd == (void *)-1 ? "failed" : rnd);
  say("SHM_REMAP without address: %s\n", err((long)shmat(id, NULL, SHM_REMAP) == -1 ? -1 : 0));
  say("shmdt inside: %s\n", err(shmdt(rnd + 4096)));
  say("shmdt unaligned: %s\n", err(shmdt(rnd + 1)));
  say("shmdt: %s\n", err(shmdt(rnd)));
  say("shmdt again: %s\n", err(shmdt(rnd)));

  /* Keys. */
  key_t key = 0x5a000000 | (getpid() & 0xffff) | ((time(NULL) & 0xff) << 16);
  int kid = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0640);
  say("keyed create: %s\n", err(kid));
  say("IPC_EXCL again: %s\n", err(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0640)));
  say("same key finds it: %d\n", shmget(key, 0, 0) == kid);
  say("IPC_CREAT finds it: %d\n", shmget(key, 100, IPC_CREAT | 0600) == kid);
  say("bigger size: %s\n", err(shmget(key, 8192, 0)));
  say("missing key: %s\n", err(shmget(key ^ 0x00800000, 4096, 0)));
  struct shmid_ds ds = st(kid);
  say("keyed: key_ok=%d mode=%o\n", ds.shm_perm.__key == key, ds.shm_perm.mode);
  permissions(kid, key);

  /* IPC_SET. */
  ds.shm_perm.mode = 0604;
  ds.shm_perm.uid = 1234;
  say("IPC_SET: %s\n", err(shmctl(kid, IPC_SET, &ds)));
  ds = st(kid);
  say("after IPC_SET: mode=%o uid=%u cuid=%u\n", ds.shm_perm.mode, ds.shm_perm.uid, ds.shm_perm.cuid);
  ds.shm_perm.uid = (uid_t)-1;
  say("IPC_SET uid -1: %s\n", err(shmctl(kid, IPC_SET, &ds)));

  /* IPC_RMID while attached: the key goes at once, the segment at the last detach. */
  char *k = shmat(kid, NULL, 0);
  strcpy(k, "still here");
  say("RMID attached: %s\n", err(shmctl(kid, IPC_RMID, NULL)));
  ds = st(kid);
  say("after RMID: key0=%d mode=%o nattch=%lu reads: %s\n", ds.shm_perm.__key == 0, ds.shm_perm.mode, (unsigned long)ds.shm_nattch, k);
  say("key after RMID: %s\n", err(shmget(key, 0, 0)));
  say("last shmdt: %s\n", err(shmdt(k)));
  say("IPC_STAT after last detach: %s\n", err(shmctl(kid, IPC_STAT, &ds)));

  /* SHM_STAT, IPC_INFO, SHM_INFO, SHM_LOCK. */
  struct shminfo info;
  int maxidx = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
  say("IPC_INFO: %s shmmin=%lu shmmni=%lu shmseg=%lu\n", err(maxidx), info.shmmin, info.shmmni, info.shmseg);
  struct shm_info sinfo;
  int maxidx2 = shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo);
  say("SHM_INFO: same max index %d, used_ids>0: %d\n", maxidx2 == maxidx, sinfo.used_ids > 0);
  int found = 0;
  for (int i = 0; i <= maxidx; i++) {
    if (shmctl(i, SHM_STAT, &ds) == id) found++;
    if (shmctl(i, SHM_STAT_ANY, &ds) == id) found++;
  }
  say("SHM_STAT/SHM_STAT_ANY find it: %d\n", found);
  say("SHM_LOCK: %s\n", err(shmctl(id, SHM_LOCK, NULL)));
  say("locked mode=%o\n", st(id).shm_perm.mode);
  say("SHM_UNLOCK: %s\n", err(shmctl(id, SHM_UNLOCK, NULL)));
  say("unlocked mode=%o\n", st(id).shm_perm.mode);

  /* Errors. */
  say("size 0: %s\n", err(shmget(IPC_PRIVATE, 0, 0600)));
  say("shmat -1: %s\n", err((long)shmat(-1, NULL, 0) == -1 ? -1 : 0));
  say("shmat removed id: %s\n", err((long)shmat(kid, NULL, 0) == -1 ? -1 : 0));
  say("shmctl bad cmd: %s\n", err(shmctl(id, 99, &ds)));
  say("IPC_STAT -1: %s\n", err(shmctl(-1, IPC_STAT, &ds)));
  say("IPC_STAT bad buffer: %s\n", err(shmctl(id, IPC_STAT, (struct shmid_ds *)8)));

  say("final RMID: %s\n", err(shmctl(id, IPC_RMID, NULL)));
  show("marked", id, getpid());
  say("shmdt: %s\n", err(shmdt(p)));
  say("gone: %s\n", err(shmctl(id, IPC_STAT, &ds)));
  return 0;
}
