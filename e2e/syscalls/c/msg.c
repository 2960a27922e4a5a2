/*
 * System V message queues, compared with native Linux: msgget and its
 * errors; msgsnd and msgrcv by type (first, exact, MSG_EXCEPT, lowest up
 * to a bound), MSG_NOERROR and E2BIG, MSG_COPY, a full queue (EAGAIN, a
 * sender that waits for room), a receiver that waits for a message, a
 * signal (EINTR) and the queue's removal (EIDRM) ending waits; msgctl's
 * commands, msg_qbytes, permissions; the queue's /proc/sysvipc/msg line.
 * Keys come from the pid so concurrent runs never meet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "say.h"

struct text {
  long type;
  char text[64];
};

static int must(int r, const char *what) {
  if (r < 0) { say("FAIL %s: %s\n", what, strerrorname_np(errno)); exit(2); }
  return r;
}

static int send(int id, long type, const char *s, int flags) {
  struct text m = {.type = type};
  strncpy(m.text, s, sizeof m.text - 1);
  return msgsnd(id, &m, strlen(s), flags);
}

/* Receives with `type`/`flags` into a buffer of `size` bytes and says what came. */
static void recv(const char *what, int id, size_t size, long type, int flags) {
  struct text m = {0};
  ssize_t n = msgrcv(id, &m, size, type, flags);
  if (n < 0) say("%s: %s\n", what, strerrorname_np(errno));
  else say("%s: type %ld '%.*s'\n", what, m.type, (int)n, m.text);
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
  key_t key = 0x3a000000 | (getpid() & 0xffff);
  say("missing key: %s\n", result(msgget(key, 0600)));
  int id = must(msgget(key, IPC_CREAT | 0640), "msgget");
  say("same key: %d, IPC_EXCL: %s\n", msgget(key, 0) == id, result(msgget(key, IPC_CREAT | IPC_EXCL | 0600)));
  say("type 0: %s, size past msgmax: %s, negative size: %s, bad id: %s\n", result(send(id, 0, "x", 0)),
      result(msgsnd(id, &(struct text){.type = 1}, 8193, 0)), result(msgsnd(id, &(struct text){.type = 1}, (size_t)-1, 0)),
      result(send(id + 100000, 1, "x", 0)));
  must(send(id, 3, "three", 0), "send");
  must(send(id, 1, "one", 0), "send");
  must(send(id, 2, "two", 0), "send");
  must(send(id, 1, "uno", 0), "send");
  struct msqid_ds ds;
  must(msgctl(id, IPC_STAT, &ds), "IPC_STAT");
  say("IPC_STAT: qnum %lu cbytes %lu qbytes %lu lspid self %d mode %o\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
      (unsigned long)ds.msg_qbytes, ds.msg_lspid == getpid(), ds.msg_perm.mode);
  recv("copy index 2", id, 64, 2, MSG_COPY | IPC_NOWAIT);
  recv("copy index 9", id, 64, 9, MSG_COPY | IPC_NOWAIT);
  say("MSG_COPY without IPC_NOWAIT: %s\n", result(msgrcv(id, &(struct text){0}, 64, 0, MSG_COPY)));
  recv("type 2", id, 64, 2, 0);
  recv("not type 1", id, 64, 1, MSG_EXCEPT);
  recv("lowest up to 5", id, 64, -5, 0);
  recv("first", id, 64, 0, 0);
  recv("empty, IPC_NOWAIT", id, 64, 0, IPC_NOWAIT);
  must(send(id, 7, "a longer text", 0), "send");
  recv("2-byte buffer", id, 2, 0, IPC_NOWAIT);
  recv("MSG_NOERROR", id, 2, 0, MSG_NOERROR);
  recv("the rest is gone", id, 64, 0, IPC_NOWAIT);

  pid_t child = fork();
  if (child == 0) {
    sleep_ms(200);
    send(id, 5, "late", 0);
    _exit(0);
  }
  recv("waits for a message", id, 64, 5, 0);
  waitpid(child, NULL, 0);
  must(msgctl(id, IPC_STAT, &ds), "IPC_STAT");
  say("lrpid self %d, lspid child %d\n", ds.msg_lrpid == getpid(), ds.msg_lspid == child);

  ds.msg_qbytes = 10;
  say("IPC_SET qbytes 10: %s\n", result(msgctl(id, IPC_SET, &ds)));
  must(send(id, 1, "0123456789", 0), "send");
  say("full queue, IPC_NOWAIT: %s\n", result(send(id, 1, "x", IPC_NOWAIT)));
  child = fork();
  if (child == 0) {
    sleep_ms(200);
    struct text m;
    msgrcv(id, &m, 64, 0, 0);
    _exit(0);
  }
  say("a sender waits for room: %s\n", result(send(id, 1, "room", 0)));
  waitpid(child, NULL, 0);
  recv("then", id, 64, 0, IPC_NOWAIT);

  signal(SIGALRM, on_alarm);
  struct itimerval it = {{0, 0}, {0, 200000}};
  setitimer(ITIMER_REAL, &it, NULL);
  recv("a signal ends a wait", id, 64, 99, 0);

  struct msginfo info;
  int maxidx = msgctl(0, IPC_INFO, (struct msqid_ds *)&info);
  say("IPC_INFO: msgmax %d msgmnb %d msgmni %d msgpool %d msgmap %d msgssz %d msgtql %d msgseg %u, max index >= 0: %d\n", info.msgmax, info.msgmnb,
      info.msgmni, info.msgpool, info.msgmap, info.msgssz, info.msgtql, info.msgseg, maxidx >= 0);
  char line[256], want[32];
  snprintf(want, sizeof want, "%10d %10d", key, id);
  FILE *f = fopen("/proc/sysvipc/msg", "r");
  int found = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, want, strlen(want)) == 0) {
      found = 1;
      say("/proc/sysvipc/msg:%.30s\n", line + strlen(want));
    }
  if (f) fclose(f);
  say("listed: %d\n", found);

  child = fork();
  if (child == 0) {
    if (setuid(65534) != 0) _exit(3);
    say("nobody: send %s, receive %s, IPC_STAT %s, IPC_RMID %s\n", result(send(id, 1, "x", IPC_NOWAIT)), result(msgrcv(id, &(struct text){0}, 64, 0, IPC_NOWAIT)),
        result(msgctl(id, IPC_STAT, &ds)), result(msgctl(id, IPC_RMID, NULL)));
    _exit(0);
  }
  waitpid(child, NULL, 0);

  child = fork();
  if (child == 0) {
    recv("waiting while the queue is removed", id, 64, 42, 0);
    _exit(0);
  }
  sleep_ms(200);
  say("IPC_RMID: %s\n", result(msgctl(id, IPC_RMID, NULL)));
  waitpid(child, NULL, 0);
  say("after removal: send %s, key free %s\n", result(send(id, 1, "x", 0)), result(msgget(key, 0)));
  return 0;
}
