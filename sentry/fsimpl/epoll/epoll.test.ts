import assert from 'node:assert/strict';
import { EPOLL } from '../../abi/linux/epoll';
import { POLL } from '../../abi/linux/poll';
import { WaitQueue } from '../../kernel/wait';
import type { FileDescription } from '../../vfs/file';
import { EpollFile } from './epoll';

/**
 * A file whose readiness is `bits`, and whose readiness check may itself
 * notify its waiters, as a host socket's refresh does when it finds new
 * bits (`onCheck` runs inside the check).
 */
class CheckedFile {
  readonly waitQueue = new WaitQueue();
  bits = 0;
  onCheck: () => void = () => undefined;
  readiness(): number {
    this.onCheck();
    return this.bits;
  }
  onLastClose(): void {}
}

const asFile = (f: CheckedFile): FileDescription => f as unknown as FileDescription;
const datas = (ep: EpollFile, max = 8): bigint[] => ep.collect(max).map((e) => e.data);

describe('epoll ready list', () => {
  it('an entry whose check notifies its own file is reported once per call', () => {
    const ep = new EpollFile(0);
    const f = new CheckedFile();
    f.bits = POLL.IN;
    f.onCheck = () => f.waitQueue.notify();
    ep.add(5, asFile(f), EPOLL.IN, 5n);
    assert.deepEqual(datas(ep), [5n]);
    assert.deepEqual(datas(ep), [5n]); // level-triggered: again on the next call
  });

  it('two fds of one description: each is reported once, though checking one notifies both', () => {
    const ep = new EpollFile(0);
    const f = new CheckedFile();
    f.bits = POLL.IN;
    let fresh = true;
    f.onCheck = () => {
      if (fresh) f.waitQueue.notify(); // new bits only once, as a refresh
      fresh = false;
    };
    ep.add(5, asFile(f), EPOLL.IN | EPOLL.ET, 5n);
    ep.add(6, asFile(f), EPOLL.IN | EPOLL.ET, 6n);
    assert.deepEqual(datas(ep), [5n, 6n]);
    // Edge-triggered: the notification that came with the check was this same edge, reported.
    assert.deepEqual(datas(ep), []);
    f.waitQueue.notify();
    assert.deepEqual(datas(ep), [5n, 6n]);
  });

  it('an entry found idle that another check makes ready within the call is reported in that call', () => {
    const ep = new EpollFile(0);
    const idle = new CheckedFile();
    const other = new CheckedFile();
    ep.add(1, asFile(idle), EPOLL.IN, 1n);
    ep.add(2, asFile(other), EPOLL.IN, 2n);
    other.bits = POLL.IN;
    other.onCheck = () => {
      idle.bits = POLL.IN; // news for the entry already looked at
      idle.waitQueue.notify();
      other.onCheck = () => undefined;
    };
    assert.deepEqual(datas(ep), [2n, 1n]);
  });

  it('an entry notified again after it reported in a call is not reported twice in it; the news waits', () => {
    const ep = new EpollFile(0);
    const a = new CheckedFile();
    const b = new CheckedFile();
    a.bits = POLL.IN;
    b.bits = POLL.IN;
    ep.add(1, asFile(a), EPOLL.IN | EPOLL.ET, 1n);
    ep.add(2, asFile(b), EPOLL.IN, 2n);
    b.onCheck = () => {
      a.waitQueue.notify(); // a new edge on the entry reported before
      b.onCheck = () => undefined;
    };
    assert.deepEqual(datas(ep), [1n, 2n]);
    assert.deepEqual(datas(ep), [1n, 2n]);
    assert.deepEqual(datas(ep), [2n]);
  });

  it('maxevents leaves the rest listed, in order, for the next call', () => {
    const ep = new EpollFile(0);
    const files = [1, 2, 3].map(() => new CheckedFile());
    files.forEach((f, i) => {
      f.bits = POLL.IN;
      ep.add(i, asFile(f), EPOLL.IN, BigInt(i));
    });
    assert.deepEqual(datas(ep, 2), [0n, 1n]);
    assert.deepEqual(datas(ep, 2), [2n, 0n]);
    files[1].bits = 0;
    assert.deepEqual(datas(ep), [2n, 0n]);
  });
});
