/**
 * The process model, compared with native runs: shells with pipelines,
 * subshells, background jobs and traps; threads, futexes and signals in C;
 * python's threads, processes and subprocesses.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'node:assert';
import { DEFAULT_MAX_TASKS } from '../../sentry/kernel/limits';
import { checkNoLeaks, compileC, describeRun, freshDir, SANDBOX, sandboxed } from './harness';
import { sameAsNative } from './compare';

const PY = '/usr/bin/python3';

describe('e2e: processes, threads and signals', function () {
  this.timeout(180_000);
  checkNoLeaks();

  const scripts: [string, string][] = [
    ['pipelines and command substitution', 'x=$(echo one two | tr a-z A-Z); echo "$x" | wc -c; printf "b\\na\\nb\\n" | sort | uniq -c'],
    ['subshells and exit codes', '(exit 3); echo $?; (cd /etc && pwd); false || echo alt'],
    ['background jobs and wait', 'sleep 0.2 & a=$!; sleep 0.1 & wait; echo waited; wait $a; echo $?'],
    ['trap and kill', 'trap "echo got USR1" USR1; kill -USR1 $$; trap "echo bye" EXIT; echo body'],
    ['here-documents and xargs', 'cat <<EOF | xargs -n 2 echo\na b c\nd e\nEOF'],
    ['find | sort | uniq -c', 'find /etc/ssl -maxdepth 2 -name "*.cnf" | sort | uniq -c'],
  ];
  for (const [name, script] of scripts) {
    it(`dash: ${name}`, () => sameAsNative(['/bin/sh', '-c', script]));
    it(`bash: ${name}`, () => sameAsNative(['/bin/bash', '-c', script]));
  }

  it('stdin feeds a pipeline while another job sleeps', () =>
    sameAsNative(['/bin/sh', '-c', 'sleep 0.2 & cat | tr a-z A-Z; wait; echo done'], { input: 'line one\nline two\n' }, 'LINE ONE\nLINE TWO\ndone\n'));

  it('C: 32 threads with mutexes and joins', () => sameAsNative([compileC('threads')], {}, 'counter=32000 sum=496\n'));
  it('C: execve from a thread, the main thread or after the main thread exited ends the other threads (de_thread)', () =>
    sameAsNative([compileC('exec_threads')]));
  it('C: /proc/[pid]/stat, statm and status as ps reads them: states (running, sleeping, stopped, zombie), CPU time, memory, threads and their task/[tid] entries', () =>
    sameAsNative([compileC('procstat')]));
  it('C: futex ping-pong between two threads', () => sameAsNative([compileC('futex_pingpong')], {}, '2000 round trips\n'));
  it('C: a child computing without syscalls does not stall the sandbox (sleep on time, pipes flow, SIGKILL lands)', () =>
    sameAsNative([compileC('spin')], {}, 'slept 200 ms: on time\npipe bytes 100\nspinner killed by 9\n'));
  it('C: MAP_SHARED anonymous memory is shared with forked children, MAP_PRIVATE copied', () =>
    sameAsNative([compileC('sharedmem')], {}, 'counter 3000 (want 3000)\nchildren wrote 10 20 30\nprivate still 7\nafter MADV_DONTNEED: shared 3000, private 0\n'));
  it('C: shared futexes in MAP_SHARED memory across fork (waits, FUTEX_PRIVATE_FLAG, process-shared condvar)', () =>
    sameAsNative([compileC('futex_shared')], {}, 'shared: child wait returned 0\nshared: parent woke 1\nprivate wait: child wait returned -1\nprivate wait: parent woke 0\ncondvar ping-pong: 400 turns\n'));
  it('C: writable MAP_SHARED file mappings (fork, independent mappings, read/write, msync, named semaphores)', () =>
    sameAsNative([compileC('file_shared'), freshDir('file_shared')], {}, [
      'mapping starts with: hello', "independent mapping sees the parent's store: upper", 'parent sees: child indep',
      'mapping sees write(2): WRITE', 'read(2) sees: child indep WRITE', 'file after munmap: child indep WRITE',
      'semaphore: child got the post', 'semaphore: child exit 0', '',
    ].join('\n')));
  // A uid no host process runs as, so that the native run counts only its own.
  it('C: RLIMIT_NPROC: a non-root user forks until EAGAIN at its limit', () =>
    sameAsNative([compileC('forkbomb'), '8', '54321'], {}, 'forked 7, then EAGAIN\n'));
  it('C: a fork bomb stops at the sandbox threads-max with EAGAIN (never run natively)', function () {
    if (SANDBOX !== 'tsvisor') this.skip();
    const r = sandboxed(['/bin/sh', '-c', `cat /proc/sys/kernel/threads-max; exec ${compileC('forkbomb')}`]);
    assert.strictEqual(r.code, 0, describeRun(r));
    assert.strictEqual(r.stdout.toString(), `${DEFAULT_MAX_TASKS}\nforked ${DEFAULT_MAX_TASKS - 1}, then EAGAIN\n`, describeRun(r));
  });
  it('C: SIGALRM interrupts a blocking read with EINTR', () => sameAsNative([compileC('alarm_read')], {}, 'read=-1 errno=Interrupted system call\n'));
  it('C: RLIMIT_SIGPENDING: sigqueue fails with EAGAIN at the limit of the real uid, kill does not; charges come back', () =>
    sameAsNative([compileC('sigpending')], {}, [
      'queued 5, then EAGAIN', 'kill past the limit: 0', ...[0, 1, 2, 3, 4].map((v) => `  got SI_QUEUE value ${v}`), 'drained 5', 'drained again 0',
      'queued 5, then EAGAIN', 'while the child holds them: 11', 'queued 5, then EAGAIN', ...[0, 1, 2, 3, 4].map((v) => `  got SI_QUEUE value ${v}`), 'drained 5', '',
    ].join('\n')));
  it('C: handlers, siginfo, sigaltstack, SIGSEGV si_addr, sigtimedwait, signalfd, timers, job control', () => sameAsNative([compileC('signals')]));

  it('node: worker_threads, child_process.exec, fs, timers, crypto', () => {
    const script = [
      "const { Worker } = require('worker_threads');",
      "const w = new Worker('require(\"worker_threads\").parentPort.postMessage(6*7)', { eval: true });",
      "w.on('message', (m) => require('child_process').exec('echo child', (e, out) => {",
      "  const h = require('crypto').createHash('sha256').update(String(m)).digest('hex');",
      "  setTimeout(() => console.log(m, out.trim(), h, require('fs').readFileSync('/etc/hostname').length > 0), 20);",
      '}));',
    ].join('\n');
    sameAsNative([process.execPath, '-e', script]);
  });

  it('make drives gcc to build and run a C program', () => {
    const dir = freshDir('make');
    writeFileSync(join(dir, 'hello.c'), '#include <stdio.h>\nint main(void) { puts("hello from make"); return 0; }\n');
    writeFileSync(join(dir, 'Makefile'), 'hello: hello.c\n\tgcc -o hello hello.c\n');
    // The default overlay keeps the build out of the host directory, so each run builds afresh.
    sameAsNative(['/bin/sh', '-c', `cd ${dir} && make -s -f Makefile hello && ./hello && rm hello`], {}, 'hello from make\n');
  });

  // CPython's GIL is a condition variable all the woken threads wait on: the
  // thread holding it must get its syscalls served among a thousand others.
  it('python: 1000 threads woken at once all run and join', () =>
    sameAsNative(
      [PY, '-c', 'import threading\nev=threading.Event()\nr=[]\ndef f():\n  ev.wait()\n  r.append(sum(range(1000)))\nts=[threading.Thread(target=f) for _ in range(1000)]\n[t.start() for t in ts]\nev.set()\n[t.join() for t in ts]\nprint(len(r), sum(r))'],
      { timeoutSec: 60 },
      '1000 499500000\n',
    ));
  it('python: threading with 8 threads', () =>
    sameAsNative([PY, '-c', 'import threading\nr=[]\nts=[threading.Thread(target=lambda i=i: r.append(i*i)) for i in range(8)]\n[t.start() for t in ts]\n[t.join() for t in ts]\nprint(sorted(r))']));
  // The thread spins until the process clock says 0.2 s: os.times() counts in 10 ms ticks, truncated per field.
  it('python: the process CPU time read from a thread (process_time, getrusage, os.times)', () =>
    sameAsNative(
      [PY, '-c', 'import os, resource, threading, time\ndef f():\n  s = 0\n  while time.process_time() < 0.2: s += 1\n  r = resource.getrusage(resource.RUSAGE_SELF)\n  print(time.process_time() > 0.05, r.ru_utime + r.ru_stime > 0.05, sum(os.times()[:2]) > 0.05)\nt = threading.Thread(target=f); t.start(); t.join()'],
      {},
      'True True True\n',
    ));
  it('python: subprocess.run and os.fork with pipes', () =>
    sameAsNative([PY, '-c', 'import os,subprocess\nprint(subprocess.run(["/bin/echo","hi"],capture_output=True).stdout)\nr,w=os.pipe()\npid=os.fork()\nif pid==0:\n  os.write(w,b"from child"); os._exit(7)\nos.close(w); print(os.read(r,100)); print(os.waitstatus_to_exitcode(os.waitpid(pid,0)[1]))']));
  it('python: multiprocessing Pool', () =>
    sameAsNative([PY, '-c', 'from multiprocessing import Pool\ndef sq(x): return x*x\nif __name__=="__main__":\n  with Pool(2) as p: print(p.map(sq, range(10)))']));
  // Linux's ready list: wakeup order, level entries back at the end, entries kept while the description lives.
  it('python: epoll reports in wakeup order and drops an entry only when its description is released', () =>
    sameAsNative([PY, '-c', 'import os, select\nep = select.epoll()\n(r1, w1), (r2, w2) = os.pipe(), os.pipe()\nep.register(r1, select.EPOLLIN); ep.register(r2, select.EPOLLIN)\nnames = {r1: \'r1\', r2: \'r2\'}\nready = lambda: [names[fd] for fd, _ in ep.poll(0)]\nprint(\'empty\', ready())\nos.write(w2, b\'x\'); os.write(w1, b\'x\')\nprint(\'in wakeup order\', ready())\nprint(\'level again\', ready())\nd = os.dup(r1)\nos.close(r1)\nprint(\'fd closed, description alive\', ready())\nos.close(d)\nprint(\'description released\', ready())\nos.read(r2, 1)\nprint(\'drained\', ready())'], {}, [
      'empty []', "in wakeup order ['r2', 'r1']", "level again ['r2', 'r1']", "fd closed, description alive ['r2', 'r1']",
      "description released ['r2']", 'drained []', '',
    ].join('\n')));
  it('python: signal handler with setitimer, socketpair, mmap, tempfile', () =>
    sameAsNative([PY, '-c', 'import signal,socket,mmap,tempfile,time\nhits=[]\nsignal.signal(signal.SIGALRM, lambda s,f: hits.append(s))\nsignal.setitimer(signal.ITIMER_REAL, 0.05)\ntime.sleep(0.2)\nprint(hits)\na,b=socket.socketpair(); a.send(b"ping"); print(b.recv(4))\nm=mmap.mmap(-1, 4096); m[:5]=b"hello"; print(m[:5])\nwith tempfile.TemporaryDirectory() as d: print(type(d).__name__)']));
});
