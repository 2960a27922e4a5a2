import { nativeValues } from '../../testing/native';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { autobindName, decodeUnixAddr, encodeUnixAddr } from '../../fsimpl/socket/address';
import { AF, MSG_FLAGS, SCM_CREDENTIALS, SIOCINQ, SIOCOUTQ, SO, SOCK, SOCKADDR_UN, UCRED_SIZE } from './socket';

/** Prints layouts and constants, and the addrlen native getsockname returns for each kind of name. */
const C = `#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#define P(n, v) printf("%s %ld\\n", n, (long)(v))
static long named(const char *path, int abstract_len) {
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un a; memset(&a, 0, sizeof a); a.sun_family = AF_UNIX;
  socklen_t len = 2;
  if (abstract_len) { memcpy(a.sun_path, path, abstract_len); len = 2 + abstract_len; }
  else if (path) { strcpy(a.sun_path, path); len = 2 + strlen(path); unlink(path); }
  if (path && bind(s, (struct sockaddr *)&a, len) != 0) return -1;
  struct sockaddr_un out; socklen_t ol = sizeof out;
  getsockname(s, (struct sockaddr *)&out, &ol);
  if (path && !abstract_len) unlink(path);
  close(s);
  return ol;
}
int main(int argc, char **argv) {
  P("sockaddr_un", sizeof(struct sockaddr_un)); P("sun_path", offsetof(struct sockaddr_un, sun_path));
  P("ucred", sizeof(struct ucred));
  P("SOCK_NONBLOCK", SOCK_NONBLOCK); P("SOCK_CLOEXEC", SOCK_CLOEXEC); P("SOCK_SEQPACKET", SOCK_SEQPACKET);
  P("SO_PASSCRED", SO_PASSCRED); P("SO_PEERCRED", SO_PEERCRED); P("SO_ACCEPTCONN", SO_ACCEPTCONN);
  P("SO_DOMAIN", SO_DOMAIN); P("SO_PROTOCOL", SO_PROTOCOL); P("SO_RCVTIMEO", SO_RCVTIMEO); P("SO_SNDBUF", SO_SNDBUF);
  P("SCM_CREDENTIALS", SCM_CREDENTIALS); P("MSG_TRUNC", MSG_TRUNC); P("MSG_WAITALL", MSG_WAITALL); P("MSG_WAITFORONE", MSG_WAITFORONE); P("MSG_PEEK", MSG_PEEK);
  P("SIOCINQ", FIONREAD); P("SIOCOUTQ", TIOCOUTQ);
  P("len.unbound", named(NULL, 0)); P("len.path", named(argv[1], 0)); P("len.abstract", named("\\0abc\\0d", 6));
  int s = socket(AF_UNIX, SOCK_DGRAM, 0); struct sockaddr_un a = { .sun_family = AF_UNIX };
  bind(s, (struct sockaddr *)&a, 2); socklen_t ol = sizeof a; getsockname(s, (struct sockaddr *)&a, &ol);
  P("len.autobind", ol);
  return 0;
}`;

function sockaddr(name: Buffer): Buffer {
  const b = Buffer.alloc(2 + name.length);
  b.writeUInt16LE(AF.UNIX, 0);
  name.copy(b, 2);
  return b;
}

describe('socket ABI against the C library and native getsockname', function () {
  let native: Map<string, number>;
  let dir: string;
  before(() => (native = nativeValues(C, (d) => [join((dir = d), 'sock')])));

  it('layouts and constants match', () => {
    assert.equal(native.get('sockaddr_un'), SOCKADDR_UN.SIZE);
    assert.equal(native.get('sun_path'), SOCKADDR_UN.PATH);
    assert.equal(native.get('ucred'), UCRED_SIZE);
    const pairs: [string, number][] = [
      ['SOCK_NONBLOCK', SOCK.NONBLOCK], ['SOCK_CLOEXEC', SOCK.CLOEXEC], ['SOCK_SEQPACKET', SOCK.SEQPACKET],
      ['SO_PASSCRED', SO.PASSCRED], ['SO_PEERCRED', SO.PEERCRED], ['SO_ACCEPTCONN', SO.ACCEPTCONN], ['SO_DOMAIN', SO.DOMAIN],
      ['SO_PROTOCOL', SO.PROTOCOL], ['SO_RCVTIMEO', SO.RCVTIMEO], ['SO_SNDBUF', SO.SNDBUF], ['SCM_CREDENTIALS', SCM_CREDENTIALS],
      ['MSG_TRUNC', MSG_FLAGS.TRUNC], ['MSG_WAITALL', MSG_FLAGS.WAITALL], ['MSG_WAITFORONE', MSG_FLAGS.WAITFORONE], ['MSG_PEEK', MSG_FLAGS.PEEK],
      ['SIOCINQ', SIOCINQ], ['SIOCOUTQ', SIOCOUTQ],
    ];
    for (const [name, ours] of pairs) assert.equal(ours, native.get(name), name);
  });

  it('stored address lengths match what Linux getsockname returns', () => {
    assert.equal(encodeUnixAddr(undefined).length, native.get('len.unbound'));
    const path = join(dir, 'sock');
    assert.equal(encodeUnixAddr(decodeUnixAddr(sockaddr(Buffer.from(path))).name).length, native.get('len.path'));
    assert.equal(encodeUnixAddr(decodeUnixAddr(sockaddr(Buffer.from('\0abc\0d'))).name).length, native.get('len.abstract'));
    assert.equal(encodeUnixAddr(autobindName(0)).length, native.get('len.autobind'));
  });
});
