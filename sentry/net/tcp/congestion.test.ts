import assert from 'node:assert/strict';
import { NewReno } from './congestion';

const MSS = 1000;

describe('sentry/net TCP congestion control (NewReno)', () => {
  it('with SACK, recovery ends with cwnd at ssthresh however little is still in flight (RFC 6675)', () => {
    const cc = new NewReno(MSS, 0);
    cc.sack = true;
    cc.cwnd = 20 * MSS;
    cc.enterRecovery(20 * MSS, 20 * MSS);
    assert.equal(cc.cwnd, 10 * MSS);
    assert.equal(cc.onAck(19 * MSS, 20 * MSS, MSS), 'none');
    assert.equal(cc.recovering, false);
    assert.equal(cc.cwnd, 10 * MSS);
  });

  it('without SACK, the full ACK deflates cwnd to what is in flight plus a segment (RFC 6582 option 1)', () => {
    const cc = new NewReno(MSS, 0);
    cc.cwnd = 20 * MSS;
    cc.enterRecovery(20 * MSS, 20 * MSS);
    assert.equal(cc.cwnd, 13 * MSS, 'ssthresh + 3 segments');
    assert.equal(cc.onAck(19 * MSS, 20 * MSS, MSS), 'none');
    assert.equal(cc.cwnd, 2 * MSS);
  });
});
