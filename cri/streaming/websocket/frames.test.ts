import assert from 'node:assert/strict';
import { acceptKey } from './connection';
import { CloseCode, Opcode, WsFrameParser, WsProtocolError, encodeClose, encodeFrame } from './frames';

const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

describe('RFC 6455 frames', () => {
  it('computes the handshake answer of section 1.3', () => {
    assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('reads the masked "Hello" of section 5.7 and writes the unmasked one', () => {
    const masked = Buffer.from('818537fa213d7f9f4d5158', 'hex');
    assert.deepEqual(new WsFrameParser(1024).push(masked), [{ fin: true, opcode: Opcode.Text, payload: Buffer.from('Hello') }]);
    assert.equal(encodeFrame(Opcode.Text, Buffer.from('Hello')).toString('hex'), '810548656c6c6f');
    assert.equal(encodeFrame(Opcode.Text, Buffer.from('Hello'), { maskKey: KEY }).toString('hex'), '818537fa213d7f9f4d5158');
  });

  it('uses 16- and 64-bit lengths, and keeps partial frames across every split', () => {
    const sizes = [0, 125, 126, 65535, 65536];
    const wire = Buffer.concat(sizes.map((n) => encodeFrame(Opcode.Binary, Buffer.alloc(n, n & 0xff), { maskKey: KEY })));
    assert.equal(encodeFrame(Opcode.Binary, Buffer.alloc(126))[1], 126);
    assert.equal(encodeFrame(Opcode.Binary, Buffer.alloc(65536))[1], 127);
    const want = sizes.map((n) => ({ fin: true, opcode: Opcode.Binary, payload: Buffer.alloc(n, n & 0xff) }));
    for (const cut of [1, 2, 3, 5, 7, 140, 65000, wire.length - 1]) {
      const p = new WsFrameParser(1 << 20);
      assert.deepEqual([...p.push(wire.subarray(0, cut)), ...p.push(wire.subarray(cut))], want, `split at ${cut}`);
    }
  });

  it('fails unmasked client frames, reserved bits, fragmented or long control frames, oversize frames', () => {
    const code = (wire: Buffer, max = 1024): number => {
      try {
        new WsFrameParser(max).push(wire);
      } catch (err) {
        assert(err instanceof WsProtocolError);
        return err.code;
      }
      return 0;
    };
    assert.equal(code(encodeFrame(Opcode.Binary, Buffer.from('x'))), CloseCode.ProtocolError);
    assert.equal(code(Buffer.from('c18037fa213d', 'hex')), CloseCode.ProtocolError);
    assert.equal(code(encodeFrame(Opcode.Ping, Buffer.alloc(1), { fin: false, maskKey: KEY })), CloseCode.ProtocolError);
    assert.equal(code(encodeFrame(Opcode.Ping, Buffer.alloc(126), { maskKey: KEY })), CloseCode.ProtocolError);
    assert.equal(code(encodeFrame(Opcode.Binary, Buffer.alloc(2000), { maskKey: KEY })), CloseCode.TooBig);
    assert.equal(code(Buffer.from('8b8037fa213d', 'hex')), CloseCode.ProtocolError);
  });

  it('encodes close frames as code + reason', () => {
    assert.equal(encodeClose(CloseCode.Normal, 'bye').toString('hex'), '880503e8627965');
  });
});
