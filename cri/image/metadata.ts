/**
 * `images.json`: the store's image records, versioned and written atomically
 * (temporary file, fsync, rename), so a crash leaves the old or the new list,
 * never a torn one.
 */
import * as fs from 'node:fs';
import type { ImageRecord } from './store';

/** A record plus what it references on disk. */
export interface StoredImage extends ImageRecord {
  /** Digests of the index and manifest blobs reached by pulls of this image. */
  manifests: string[];
  /** Digests of the compressed layer blobs, bottom first. */
  layers: string[];
  /** Chain ID of the top layer: names the unpacked root. */
  chainId: string;
}

const VERSION = 1;

export function loadImages(file: string): StoredImage[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  let doc: { version?: unknown; images?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
  if (doc.version !== VERSION) throw new Error(`${file} has version ${JSON.stringify(doc.version)}, this store reads version ${VERSION}`);
  if (!Array.isArray(doc.images) || !doc.images.every(isStoredImage)) throw new Error(`${file} has malformed image records`);
  return doc.images;
}

function isStoredImage(v: unknown): v is StoredImage {
  const i = v as Partial<StoredImage>;
  const strings = (a: unknown): boolean => Array.isArray(a) && a.every((s) => typeof s === 'string');
  return (
    typeof v === 'object' && v !== null && typeof i.id === 'string' && strings(i.repoTags) && strings(i.repoDigests) &&
    typeof i.size === 'number' && typeof i.config === 'object' && typeof i.pinned === 'boolean' &&
    strings(i.manifests) && strings(i.layers) && typeof i.chainId === 'string'
  );
}

export function saveImages(file: string, images: StoredImage[]): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify({ version: VERSION, images }, null, 1));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
