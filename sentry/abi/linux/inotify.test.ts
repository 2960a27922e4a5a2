import assert from 'node:assert/strict';
import { nativeValues } from '../../testing/native';
import { IN, IN_ALL_EVENTS, IN_CLOEXEC, IN_NONBLOCK, INOTIFY_EVENT_SIZE } from './inotify';

const C = `#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <sys/inotify.h>
#define P(n) printf("%s %lu\\n", #n, (unsigned long)(n))
int main(void) {
  P(IN_ACCESS); P(IN_MODIFY); P(IN_ATTRIB); P(IN_CLOSE_WRITE); P(IN_CLOSE_NOWRITE); P(IN_OPEN);
  P(IN_MOVED_FROM); P(IN_MOVED_TO); P(IN_CREATE); P(IN_DELETE); P(IN_DELETE_SELF); P(IN_MOVE_SELF);
  P(IN_UNMOUNT); P(IN_Q_OVERFLOW); P(IN_IGNORED); P(IN_ONLYDIR); P(IN_DONT_FOLLOW); P(IN_EXCL_UNLINK);
  P(IN_MASK_CREATE); P(IN_MASK_ADD); P(IN_ISDIR); P(IN_ONESHOT); P(IN_ALL_EVENTS); P(IN_NONBLOCK); P(IN_CLOEXEC);
  printf("event %zu\\nname %zu\\n", sizeof(struct inotify_event), offsetof(struct inotify_event, name));
  return 0;
}`;

describe('inotify ABI against the C library', () => {
  it('event bits, flags and struct inotify_event match', () => {
    const native = nativeValues(C);
    for (const [name, value] of Object.entries(IN)) assert.equal(native.get(`IN_${name}`), value >>> 0, `IN_${name}`);
    assert.equal(native.get('IN_ALL_EVENTS'), IN_ALL_EVENTS);
    assert.equal(native.get('IN_NONBLOCK'), IN_NONBLOCK);
    assert.equal(native.get('IN_CLOEXEC'), IN_CLOEXEC);
    assert.equal(native.get('event'), INOTIFY_EVENT_SIZE);
    assert.equal(native.get('name'), INOTIFY_EVENT_SIZE);
  });
});
