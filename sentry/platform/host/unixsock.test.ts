import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { raw } from './libc';
import { acceptUnix, connectUnix, listenUnix, peerPid } from './unixsock';
import { churnRoundTrips } from '../../testing/churn';

describe('unixsock peerPid (SO_PEERCRED)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixsock-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names the process that listens, seen from the connecting side', async () => {
    const sock = path.join(dir, 's');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise((r) => child.stdout.once('data', r));
      const fd = connectUnix(sock);
      try {
        assert.equal(peerPid(fd), child.pid);
      } finally {
        raw.close(fd);
      }
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('names the connecting process on the accepting side', () => {
    const sock = path.join(dir, 's');
    const l = listenUnix(sock);
    const c = connectUnix(sock);
    const a = acceptUnix(l);
    try {
      assert.ok(a !== undefined);
      assert.equal(peerPid(a), process.pid);
    } finally {
      for (const fd of [l, c, a]) if (fd !== undefined) raw.close(fd);
    }
  });

  it('fails with the errno on a descriptor that is not a socket', () => {
    const fd = fs.openSync('/dev/null', 'r');
    try {
      assert.throws(() => peerPid(fd), /getsockopt\(SO_PEERCRED\) failed: errno 88$/); // ENOTSOCK
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('unixsock sendWithFds and receiveWithFds', () => {
  it('carry 40,000 frames intact with their descriptors while garbage is made between the calls (the Sentry\'s GC flags)', () => {
    const prelude = `
const { socketPair } = require(${JSON.stringify(require.resolve('./fdio'))});
const { receiveWithFds, sendWithFds } = require(${JSON.stringify(require.resolve('./unixsock'))});
const [ours, peer] = socketPair();`;
    const roundTrip = `
sendWithFds(ours, frame, [0]);
const r = receiveWithFds(peer, 4096);
return r.kind === 'data' ? r : { bytes: Buffer.alloc(0), fds: [] };`;
    assert.equal(churnRoundTrips(['--max-semi-space-size=1', '--single-threaded-gc'], prelude, roundTrip), 'failed 0 changed 0');
  });
});
