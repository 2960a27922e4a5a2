/**
 * The Gofer's poll loop between bursts of requests: it sleeps without
 * waking while requests are recent, wakes once IDLE_COLLECT_AFTER_NS after
 * the last one to collect (sentry/kernel/idlegc.ts), and still answers
 * afterwards.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { IDLE_COLLECT_AFTER_NS } from '../../sentry/kernel/idlegc';
import { closeAndCheck, makeTree, open, removeTree, Session, Tree } from './harness';

/** Times the Gofer's main thread has gone to sleep (in poll, or waiting for anything else). */
function sleeps(pid: number): number {
  const m = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'no voluntary_ctxt_switches line');
  return Number(m[1]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gofer: idle between requests', () => {
  let t: Tree;
  let s: Session;

  before(() => {
    t = makeTree();
    s = open(t.root, true);
  });

  after(async () => {
    await closeAndCheck(s);
    removeTree(t);
  });

  it('stays asleep while quiet, wakes once to collect after the grace period, then answers as before', async () => {
    const collectMs = Number(IDLE_COLLECT_AFTER_NS / 1_000_000n);
    const walk = () => s.client.clunk(s.client.walk(s.rootFid, ['dir', 'a']).fid);
    walk();
    await sleep(100);
    const quiet = sleeps(s.pid);
    await sleep(collectMs / 2);
    assert.equal(sleeps(s.pid), quiet, 'the Gofer woke up without a request before the grace period ended');
    await sleep(collectMs / 2 + 500);
    assert.ok(sleeps(s.pid) > quiet, 'the Gofer never woke up to collect');
    walk();
  }).timeout(10_000);
});
