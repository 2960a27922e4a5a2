/**
 * Content-addressed blobs: `<dir>/<hex>` for `sha256:<hex>`. A blob is
 * streamed to a temporary file, its size and digest checked, and only then
 * renamed into place, so a file under its digest's name always has that
 * digest.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PullError } from './errors';

export class BlobStore {
  constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  path(digest: string): string {
    return path.join(this.dir, digest.slice('sha256:'.length));
  }

  /** Whether the blob is stored with the expected size. */
  has(digest: string, size: number): boolean {
    try {
      return fs.statSync(this.path(digest)).size === size;
    } catch {
      return false;
    }
  }

  /** Stores `src` as blob `digest`, failing (and keeping nothing) unless it is exactly `size` bytes with that digest. */
  async put(digest: string, size: number, src: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void> {
    const tmp = path.join(this.tmpDir, `blob-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    const fh = await fs.promises.open(tmp, 'wx', 0o600);
    let total = 0;
    try {
      for await (const chunk of src) {
        total += chunk.length;
        if (total > size) throw new PullError(`blob ${digest} is larger than the ${size} bytes its descriptor says`);
        hash.update(chunk);
        await fh.write(chunk);
      }
      if (total !== size) throw new PullError(`blob ${digest} is ${total} bytes, its descriptor says ${size}`);
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest) throw new PullError(`blob ${digest} failed verification: its content has digest ${got}`);
      await fh.sync();
      await fh.close();
      await fs.promises.rename(tmp, this.path(digest));
    } catch (e) {
      await fh.close().catch(() => {});
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }

  read(digest: string): Buffer {
    return fs.readFileSync(this.path(digest));
  }

  remove(digest: string): void {
    fs.rmSync(this.path(digest), { force: true });
  }

  /** Digests of every stored blob. */
  list(): string[] {
    return fs.readdirSync(this.dir).map((hex) => `sha256:${hex}`);
  }
}
