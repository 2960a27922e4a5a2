import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { JsonObjectSplitter, ResizeQueue, readResizeEvents } from './resize';

async function drain(q: ResizeQueue): Promise<Array<{ width: number; height: number }>> {
  const out = [];
  for await (const s of q) out.push(s);
  return out;
}

describe('resize events', () => {
  it('splits JSON objects that span chunks or share one, honouring strings', () => {
    const s = new JsonObjectSplitter();
    assert.deepEqual(s.push('{"Width":80,'), []);
    assert.deepEqual(s.push('"Height":24}\n{"Width":1,"Height":2}{"x":"}{\\""'), ['{"Width":80,"Height":24}', '{"Width":1,"Height":2}']);
    assert.deepEqual(s.push('}'), ['{"x":"}{\\""}']);
  });

  it('turns the stream client-go writes into sizes, in order, and ends with it', async () => {
    const src = new PassThrough();
    const q = new ResizeQueue();
    readResizeEvents(src, q);
    src.write('{"Width":80,"Height":24}\n{"Width":100,');
    src.end('"Height":30}\n');
    assert.deepEqual(await drain(q), [{ width: 80, height: 24 }, { width: 100, height: 30 }]);
  });

  it('stops at malformed input, as kubelet\'s decoder loop does', async () => {
    const src = new PassThrough();
    const q = new ResizeQueue();
    readResizeEvents(src, q);
    src.write('{"Width":80,"Height":24}{"Width":-1,"Height":2}{"Width":3,"Height":4}');
    assert.deepEqual(await drain(q), [{ width: 80, height: 24 }]);
    src.end();
  });
});
