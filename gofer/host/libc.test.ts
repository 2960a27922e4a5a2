import assert from 'node:assert/strict';
import { churnRoundTrips } from '../../sentry/testing/churn';
import { GOFER_NODE_FLAGS } from '../launch';

describe('gofer host: sendWithFd', () => {
  it('sends 40,000 frames intact with their descriptors while garbage is made between the calls (the Gofer\'s flags)', () => {
    const prelude = `
const { FdReceiver, socketPair } = require(${JSON.stringify(require.resolve('../../sentry/platform/host/fdio'))});
const { sendWithFd } = require(${JSON.stringify(require.resolve('./libc'))});
const [ours, peer] = socketPair();
const rx = new FdReceiver();`;
    const roundTrip = `
sendWithFd(ours, frame, 0);
const bytes = Buffer.alloc(24), fds = [];
rx.readFull(peer, bytes, fds);
return { bytes, fds };`;
    assert.equal(churnRoundTrips(GOFER_NODE_FLAGS, prelude, roundTrip), 'failed 0 changed 0');
  });
});
