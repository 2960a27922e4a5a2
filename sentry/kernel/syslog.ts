/**
 * The sandbox's kernel log (dmesg, syslog(2)). It is the Sentry's own boot
 * story; nothing of the host's kernel log is ever shown.
 */
const BOOT_MESSAGES = [
  'Starting tsvisor...',
  'Generating a stub ELF from TypeScript...',
  'Intercepting every system call with PTRACE_SYSEMU...',
  'Asking the Gofer politely for the root filesystem...',
  'Mounting /proc, /dev and an overlay of memory...',
  'Installing the seccomp filter on ourselves...',
  'Ready!',
];

/** The log buffer with kernel-style "<level>[seconds] message" lines. */
export function bootLog(): string {
  return BOOT_MESSAGES.map((m, i) => `<6>[${(i * 0.01).toFixed(6).padStart(12)}] ${m}\n`).join('');
}
