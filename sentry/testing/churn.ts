/**
 * A check for FFI calls that hand the kernel raw addresses (msghdr, iovec,
 * control buffers): 40,000 round trips of a 24-byte frame with one
 * descriptor, garbage made between them, in a Node started with `flags`
 * (with --single-threaded-gc a collection frees a dead buffer at once, so a
 * buffer kept only by its address gets reused before the call reads it).
 */
import { spawnSync } from 'node:child_process';

/**
 * Runs the loop and returns its last line, `failed N changed M` (calls that
 * threw, frames that came back different or without one descriptor).
 * `prelude` sets up; `roundTrip` is a function body that sends `frame`
 * and returns what came back, `{ bytes, fds }`.
 */
export function churnRoundTrips(flags: readonly string[], prelude: string, roundTrip: string): string {
  const script = `
const { closeFd } = require(${JSON.stringify(require.resolve('../platform/host/fdio'))});
${prelude}
const churn = [];
let failed = 0, changed = 0;
for (let i = 0; i < 40000; i++) {
  const frame = Buffer.alloc(24, i & 0xff);
  frame.writeUInt32LE(i, 0);
  for (let k = 0; k < i % 37; k++) churn.push({ k, s: 'x' + k });
  if (churn.length > 50000) churn.length = 0;
  let got;
  try { got = (() => { ${roundTrip} })(); } catch { failed++; continue; }
  if (!got.bytes.equals(frame) || got.fds.length !== 1) changed++;
  got.fds.forEach(closeFd);
}
console.log('failed ' + failed + ' changed ' + changed);
`;
  const r = spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8', timeout: 60_000 });
  return `${r.stdout.trim().split('\n').pop() ?? ''}${r.status === 0 ? '' : ` (exit ${r.status ?? r.signal}: ${r.stderr.trim()})`}`;
}
