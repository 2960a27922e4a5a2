/**
 * Unpacks a layer blob: detects gzip or plain tar by magic bytes, applies
 * the entries, and checks that the uncompressed stream hashes to the diff ID
 * the image config promises.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { ApplyError, type LayerApplier } from './apply';
import { readTar } from './tar';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

function magic(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    return b.subarray(0, fs.readSync(fd, b, 0, 4, 0));
  } finally {
    fs.closeSync(fd);
  }
}

async function* hashed(src: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of src) {
    hash.update(chunk);
    yield chunk;
  }
}

/** Applies the layer in `blob` with `applier`; throws ApplyError on bad content or a diff ID mismatch. */
export async function applyLayerBlob(blob: string, diffId: string, applier: LayerApplier): Promise<void> {
  const head = magic(blob);
  if (head.subarray(0, 4).equals(ZSTD_MAGIC)) throw new ApplyError('zstd-compressed layers are not supported');
  let stream: Readable = fs.createReadStream(blob);
  if (head.subarray(0, 2).equals(GZIP_MAGIC)) stream = pipeline(stream, zlib.createGunzip(), () => {});
  const hash = createHash('sha256');
  try {
    await applier.apply(readTar(hashed(stream, hash)));
  } catch (e) {
    if (e instanceof Error && 'code' in e && String(e.code).startsWith('Z_')) throw new ApplyError(`corrupt gzip stream: ${e.message}`);
    throw e;
  } finally {
    stream.destroy();
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== diffId) throw new ApplyError(`layer content does not match its diff ID: config says ${diffId}, content is ${got}`);
}
