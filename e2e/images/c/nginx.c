/*
 * A stand-in for nginx in the CRI test images (no nginx binary is available
 * to build images from). It behaves as critest expects of nginx: the master
 * process is named nginx, its /proc/PID/cmdline says "master process", it
 * writes /var/run/nginx.pid, and a web server answers on $NGINX_PORT
 * (default 80). The serving is done by `busybox httpd` in a child process.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MASTER_TITLE "nginx: master process nginx -g daemon off;"

static pid_t worker;

/* Like nginx's master: the worker gets the signal, and the master exits once it is gone. */
static void forward(int sig) {
  if (worker > 0) {
    kill(worker, sig);
    while (waitpid(worker, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  _exit(0);
}

int main(int argc, char **argv) {
  (void)argc;
  /* Re-exec with nginx's own process title as argv[0], as nginx shows it. */
  if (strcmp(argv[0], MASTER_TITLE) != 0) {
    char *args[] = {MASTER_TITLE, NULL};
    execv("/usr/sbin/nginx", args);
    perror("nginx: re-exec /usr/sbin/nginx");
    return 1;
  }
  const char *port = getenv("NGINX_PORT");
  if (port == NULL || *port == '\0') port = "80";
  FILE *f = fopen("/var/run/nginx.pid", "w");
  if (f == NULL || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
    perror("nginx: /var/run/nginx.pid");
    return 1;
  }
  /* PID 1 ignores signals it has no handler for: stop the server on request. */
  signal(SIGTERM, forward);
  signal(SIGINT, forward);
  signal(SIGQUIT, forward);
  worker = fork();
  if (worker < 0) {
    perror("nginx: fork");
    return 1;
  }
  if (worker == 0) {
    execl("/bin/busybox", "httpd", "-f", "-p", port, "-h", "/usr/share/nginx/html", (char *)NULL);
    perror("nginx: exec /bin/busybox httpd");
    _exit(127);
  }
  int status;
  while (waitpid(worker, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
