import { nativeValues } from '../../testing/native';
import assert from 'node:assert/strict';
import { EPOLL, EPOLL_CLOEXEC, EPOLL_EVENT_OFF, EPOLL_EVENT_SIZE } from './epoll';
import { EFD, ITIMERSPEC_SIZE, TFD, TFD_TIMER } from './eventfd';
import { fdSetBytes, FD_SETSIZE, POLL, POLLFD_OFF, POLLFD_SIZE } from './poll';

const C = `#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#define P(n, v) printf("%s %ld\\n", n, (long)(v))
int main(void) {
  P("pollfd", sizeof(struct pollfd)); P("pollfd.events", offsetof(struct pollfd, events));
  P("pollfd.revents", offsetof(struct pollfd, revents));
  P("epoll_event", sizeof(struct epoll_event)); P("epoll_event.data", offsetof(struct epoll_event, data));
  P("fd_set", sizeof(fd_set)); P("FD_SETSIZE", FD_SETSIZE); P("itimerspec", sizeof(struct itimerspec));
  P("POLLRDHUP", POLLRDHUP); P("POLLWRBAND", POLLWRBAND); P("POLLMSG", POLLMSG);
  P("EPOLLET", (unsigned)EPOLLET); P("EPOLLONESHOT", EPOLLONESHOT); P("EPOLLEXCLUSIVE", EPOLLEXCLUSIVE);
  P("EPOLLWAKEUP", EPOLLWAKEUP); P("EPOLL_CLOEXEC", EPOLL_CLOEXEC);
  P("EFD_SEMAPHORE", EFD_SEMAPHORE); P("EFD_NONBLOCK", EFD_NONBLOCK); P("EFD_CLOEXEC", EFD_CLOEXEC);
  P("TFD_NONBLOCK", TFD_NONBLOCK); P("TFD_CLOEXEC", TFD_CLOEXEC);
  P("TFD_TIMER_ABSTIME", TFD_TIMER_ABSTIME); P("TFD_TIMER_CANCEL_ON_SET", TFD_TIMER_CANCEL_ON_SET);
  fd_set s; FD_ZERO(&s); FD_SET(70, &s); P("fd70.byte", ((unsigned char *)&s)[70 / 8]);
  return 0;
}`;

describe('poll/epoll/eventfd/timerfd ABI against the C library', function () {
  let native: Map<string, number>;
  before(() => (native = nativeValues(C)));

  it('struct layouts match', () => {
    assert.equal(native.get('pollfd'), POLLFD_SIZE);
    assert.equal(native.get('pollfd.events'), POLLFD_OFF.events);
    assert.equal(native.get('pollfd.revents'), POLLFD_OFF.revents);
    assert.equal(native.get('epoll_event'), EPOLL_EVENT_SIZE);
    assert.equal(native.get('epoll_event.data'), EPOLL_EVENT_OFF.data);
    assert.equal(native.get('fd_set'), fdSetBytes(FD_SETSIZE));
    assert.equal(native.get('FD_SETSIZE'), FD_SETSIZE);
    assert.equal(native.get('itimerspec'), ITIMERSPEC_SIZE);
    assert.equal(native.get('fd70.byte'), 1 << (70 & 7), 'fd bit layout is little-endian longs');
  });

  it('flag values match', () => {
    const pairs: [string, number][] = [
      ['POLLRDHUP', POLL.RDHUP], ['POLLWRBAND', POLL.WRBAND], ['POLLMSG', POLL.MSG],
      ['EPOLLET', EPOLL.ET >>> 0], ['EPOLLONESHOT', EPOLL.ONESHOT], ['EPOLLEXCLUSIVE', EPOLL.EXCLUSIVE],
      ['EPOLLWAKEUP', EPOLL.WAKEUP], ['EPOLL_CLOEXEC', EPOLL_CLOEXEC],
      ['EFD_SEMAPHORE', EFD.SEMAPHORE], ['EFD_NONBLOCK', EFD.NONBLOCK], ['EFD_CLOEXEC', EFD.CLOEXEC],
      ['TFD_NONBLOCK', TFD.NONBLOCK], ['TFD_CLOEXEC', TFD.CLOEXEC],
      ['TFD_TIMER_ABSTIME', TFD_TIMER.ABSTIME], ['TFD_TIMER_CANCEL_ON_SET', TFD_TIMER.CANCEL_ON_SET],
    ];
    for (const [name, ours] of pairs) assert.equal(ours, native.get(name), name);
  });
});
