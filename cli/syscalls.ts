import { SYSCALL_TABLE } from '../sentry/syscalls/table';
import { SYS } from '../sentry/abi/linux/syscalls';
import { parseFlags } from './flags';

/** `tsvisor syscalls [--json]`: the syscall table as documentation. */
export function syscallsCommand(args: string[]): void {
  const { flags } = parseFlags(args, { boolean: new Set(['json']), valued: new Set() });
  const rows = Object.entries(SYS).map(([name, nr]) => {
    const e = SYSCALL_TABLE.get(nr);
    return { nr, name, support: e?.support ?? 'unimplemented', note: e?.note ?? (e ? '' : 'returns ENOSYS') };
  });
  if (flags.has('json')) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  for (const r of rows) process.stdout.write(`${String(r.nr).padStart(3)} ${r.name.padEnd(24)} ${r.support.padEnd(13)} ${r.note}\n`);
}
