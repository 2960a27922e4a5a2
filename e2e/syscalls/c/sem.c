/*
 * System V semaphores, compared with native Linux: semget by key and
 * IPC_PRIVATE with its errors; semop's all-or-nothing operations, waiting
 * (woken by another process, by a signal: EINTR, by a timeout: EAGAIN, by
 * the set's removal: EIDRM), IPC_NOWAIT, ERANGE; SEM_UNDO applied when a
 * process exits; semctl's commands and permissions; the set's line in
 * /proc/sysvipc/sem. Ids and pids are printed relative to the run, so runs
 * compare; keys come from the pid so concurrent runs never meet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

union semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
  struct seminfo *info;
};

static int must(int r, const char *what) {
  if (r < 0) { say("FAIL %s: %s\n", what, strerrorname_np(errno)); exit(2); }
  return r;
}

static int op(int id, unsigned short num, short delta, short flags) {
  struct sembuf b = {num, delta, flags};
  return semop(id, &b, 1);
}

static void values(const char *what, int id, int n) {
  unsigned short v[8] = {0};
  must(semctl(id, 0, GETALL, (union semun){.array = v}), "GETALL");
  say("%s:", what);
  for (int i = 0; i < n; i++) say(" %d", v[i]);
  say("\n");
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
  pid_t self = getpid();
  key_t key = 0x5e000000 | (self & 0xffff);
  say("semget nsems -1: %s, 0 new: %s, past SEMMSL: %s, missing key: %s\n", result(semget(key, -1, IPC_CREAT | 0600)), result(semget(key, 0, IPC_CREAT | 0600)),
      result(semget(key, 32001, IPC_CREAT | 0600)), result(semget(key, 1, 0600)));
  int id = must(semget(key, 3, IPC_CREAT | 0640), "semget");
  say("same key: %s, IPC_EXCL: %s, more semaphores: %s, fewer: %s, nsems 0: %s\n", semget(key, 3, 0) == id ? "same id" : "other",
      result(semget(key, 3, IPC_CREAT | IPC_EXCL | 0600)), result(semget(key, 4, 0)), semget(key, 2, 0) == id ? "same id" : "other",
      semget(key, 0, 0) == id ? "same id" : "other");
  int priv = must(semget(IPC_PRIVATE, 1, 0600), "private");
  say("private set differs: %d\n", priv != id);
  values("new set", id, 3);

  struct sembuf two[2] = {{0, 2, 0}, {1, 1, 0}};
  say("semop +2,+1: %s", result(semop(id, two, 2)));
  values(", values", id, 3);
  struct sembuf undo_on_fail[2] = {{2, 1, 0}, {0, -5, IPC_NOWAIT}};
  say("+1 then -5 NOWAIT: %s", result(semop(id, undo_on_fail, 2)));
  values(", nothing changed", id, 3);
  say("wait-for-zero NOWAIT on 0: %s, on 2: %s\n", result(op(id, 0, 0, IPC_NOWAIT)), result(op(id, 2, 0, IPC_NOWAIT)));
  say("past SEMVMX: %s, semnum 3: %s, no ops: %s, 501 ops: %s, bad id: %s\n", result(op(id, 0, 32767, 0)), result(op(id, 3, 1, 0)), result(semop(id, two, 0)),
      result(semop(id, two, 501)), result(op(id + 1000000, 0, 1, 0)));
  say("GETVAL %s, GETPID %s, GETNCNT %s, GETZCNT %s, semnum 3: %s\n", result(semctl(id, 0, GETVAL)), semctl(id, 0, GETPID) == self ? "self" : "other",
      result(semctl(id, 0, GETNCNT)), result(semctl(id, 0, GETZCNT)), result(semctl(id, 3, GETVAL)));

  pid_t child = fork();
  if (child == 0) {
    sleep_ms(300);
    op(id, 1, 3, 0);
    _exit(0);
  }
  say("waiting for semaphore 1 to reach 4...\n");
  sleep_ms(100);
  pid_t waiter = fork();
  if (waiter == 0) {
    op(id, 2, 0, 0);  /* semaphore 2 is 0: passes at once */
    op(id, 0, -5, 0); /* waits: counted by GETNCNT */
    _exit(0);
  }
  sleep_ms(100);
  say("a second waiter: GETNCNT of 0: %s\n", result(semctl(id, 0, GETNCNT)));
  say("decrement by 4: %s", result(op(id, 1, -4, 0)));
  values(", after the child's +3", id, 3);
  say("GETPID of 1 is this process (its decrement came last): %d\n", semctl(id, 1, GETPID) == self);
  waitpid(child, NULL, 0);
  say("SETVAL 0 to 5 wakes the second waiter: %s", result(semctl(id, 0, SETVAL, (union semun){.val = 5})));
  waitpid(waiter, NULL, 0);
  values(", then", id, 3);
  say("SETVAL -1: %s, 32768: %s\n", result(semctl(id, 0, SETVAL, (union semun){.val = -1})), result(semctl(id, 0, SETVAL, (union semun){.val = 32768})));
  unsigned short all[3] = {7, 8, 9};
  say("SETALL: %s", result(semctl(id, 0, SETALL, (union semun){.array = all})));
  values(", values", id, 3);

  signal(SIGALRM, on_alarm);
  struct itimerval it = {{0, 0}, {0, 200000}};
  setitimer(ITIMER_REAL, &it, NULL);
  say("a signal ends a wait: %s\n", result(op(id, 0, -100, 0)));
  struct sembuf big = {0, -100, 0};
  struct timespec ts = {0, 150000000};
  say("semtimedop times out: %s, bad timeout: %s\n", result(semtimedop(id, &big, 1, &ts)), result(semtimedop(id, &big, 1, &(struct timespec){0, 2000000000})));

  child = fork();
  if (child == 0) {
    struct sembuf u[2] = {{0, -3, SEM_UNDO}, {1, 2, SEM_UNDO}};
    semop(id, u, 2);
    _exit(0);
  }
  waitpid(child, NULL, 0);
  values("SEM_UNDO -3/+2 undone at exit", id, 3);
  say("GETPID of 0 after the undo is the child: %d\n", semctl(id, 0, GETPID) == child);
  child = fork();
  if (child == 0) {
    op(id, 0, -7, SEM_UNDO);
    semctl(id, 0, SETVAL, (union semun){.val = 2});
    _exit(0);
  }
  waitpid(child, NULL, 0);
  values("SETVAL clears the undo", id, 3);

  struct semid_ds ds;
  must(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), "IPC_STAT");
  say("IPC_STAT: key ok %d, mode %o, nsems %lu, uid %d, otime set %d, ctime set %d\n", ds.sem_perm.__key == key, ds.sem_perm.mode, (unsigned long)ds.sem_nsems,
      ds.sem_perm.uid == getuid(), ds.sem_otime > 0, ds.sem_ctime > 0);
  ds.sem_perm.mode = 0600;
  say("IPC_SET mode 600: %s", result(semctl(id, 0, IPC_SET, (union semun){.buf = &ds})));
  must(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}), "IPC_STAT");
  say(", now %o\n", ds.sem_perm.mode);
  struct seminfo info;
  int maxidx = semctl(0, 0, IPC_INFO, (union semun){.info = &info});
  say("IPC_INFO: semmni %d semmns %d semmsl %d semopm %d semvmx %d semaem %d semusz %d, max index >= 0: %d\n", info.semmni, info.semmns, info.semmsl, info.semopm,
      info.semvmx, info.semaem, info.semusz, maxidx >= 0);
  char line[256], want[32];
  snprintf(want, sizeof want, "%10d %10d", key, id);
  FILE *f = fopen("/proc/sysvipc/sem", "r");
  int found = 0;
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, want, strlen(want)) == 0) {
      found = 1;
      char *p = line + strlen(want);
      say("/proc/sysvipc/sem:%.20s\n", p);
    }
  }
  if (f) fclose(f);
  say("listed: %d\n", found);

  child = fork();
  if (child == 0) {
    if (setuid(65534) != 0) _exit(3);
    say("nobody: GETVAL %s, semop %s, IPC_RMID %s\n", result(semctl(id, 0, GETVAL)), result(op(id, 0, 1, IPC_NOWAIT)), result(semctl(id, 0, IPC_RMID)));
    _exit(0);
  }
  waitpid(child, NULL, 0);

  child = fork();
  if (child == 0) {
    say("waiting while the set is removed: %s\n", result(op(id, 0, -1000, 0)));
    _exit(0);
  }
  sleep_ms(200);
  say("IPC_RMID: %s\n", result(semctl(id, 0, IPC_RMID)));
  waitpid(child, NULL, 0);
  say("after removal: GETVAL %s, semop %s, key free %s\n", result(semctl(id, 0, GETVAL)), result(op(id, 0, 1, 0)), result(semget(key, 1, 0)));
  semctl(priv, 0, IPC_RMID);
  return 0;
}
