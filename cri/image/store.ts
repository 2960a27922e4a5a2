/**
 * tsvisor's image store, behind the CRI ImageService and container
 * creation. Layout under `root`:
 *
 *   blobs/sha256/<hex>    verified blobs: indexes, manifests, configs, layers
 *   unpacked/<chain hex>  read-only image roots, all layers applied, one per top chain ID
 *   tmp/                  work in progress, emptied at start-up
 *   images.json           the image records
 *
 * A pull becomes visible only once every blob is verified and the root is
 * unpacked; anything an interrupted pull left is collected at start-up.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { ApplyError, LayerApplier } from './apply';
import type { AuthConfig } from './auth';
import { BlobStore } from './blobs';
import { ImageInUseError, ImageNotFoundError, PullError } from './errors';
import { applyLayerBlob } from './layer';
import { parseMirrors, type MirrorEndpoint } from './mirrors';
import { MANIFEST_ACCEPT, parseConfig, parseManifest, selectPlatform, type Descriptor, type ImageConfig } from './manifest';
import { loadImages, saveImages, type StoredImage } from './metadata';
import { formatReference, parseReference, registryHost, repoName, type Reference } from './reference';
import { RegistryClient } from './registry';
import { TarError } from './tar';

export type { AuthConfig } from './auth';
export type { ImageConfig } from './manifest';
export { ImageInUseError, ImageNotFoundError, PullError } from './errors';

export interface ImageRecord {
  /** `sha256:<hex>` of the config blob. */
  id: string;
  /** Normalized, e.g. `docker.io/library/busybox:latest`. */
  repoTags: string[];
  /** `repo@sha256:<manifest or index digest>`. */
  repoDigests: string[];
  /** Sum of the compressed layer sizes, as containerd reports. */
  size: number;
  config: ImageConfig;
  pinned: boolean;
}

export interface ImageStoreOptions {
  root: string;
  /** Registries (host or host:port) reached over plain HTTP. */
  insecureRegistries?: string[];
  /** PEM file with extra CA certificates for HTTPS registries. */
  caFile?: string;
  /** Registry host (as in references, e.g. `registry.k8s.io`, `docker.io`) → mirror URL (`http://127.0.0.1:5000`). */
  mirrors?: Record<string, string>;
  maxManifestBytes?: number;
  /** Where skipped device nodes, unsettable xattrs and dropped records are reported (default: stderr). */
  log?: (msg: string) => void;
}

const DEFAULT_MAX_MANIFEST = 4 << 20;
const MAX_CONFIG_BYTES = 16 << 20;
/** An index may point at an index once; deeper nesting is refused. */
const MAX_INDEX_DEPTH = 2;

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hex = (digest: string): string => digest.slice('sha256:'.length);

/** Chain IDs of the layer stack: chain[0] = diff[0], chain[i] = sha256(chain[i-1] + ' ' + diff[i]). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`));
  return out;
}

export class ImageStore {
  private readonly root: string;
  private readonly blobs: BlobStore;
  private readonly unpackedDir: string;
  private readonly tmpDir: string;
  private readonly metaFile: string;
  private readonly insecure: string[];
  private readonly ca: Buffer | undefined;
  private readonly maxManifestBytes: number;
  private readonly log: (msg: string) => void;
  private readonly schemes = new Map<string, 'http' | 'https'>();
  private readonly mirrors: Map<string, MirrorEndpoint>;
  private images = new Map<string, StoredImage>();
  private readonly pulls = new Map<string, Promise<ImageRecord>>();
  private readonly unpacks = new Map<string, Promise<void>>();
  /** Collection waits while pulls run: their blobs are not referenced yet. */
  private activePulls = 0;
  private gcPending = false;
  private inUse: (imageId: string) => boolean = () => false;
  private usage: { usedBytes: number; inodesUsed: number } | undefined;

  constructor(opts: ImageStoreOptions) {
    this.root = path.resolve(opts.root);
    this.unpackedDir = path.join(this.root, 'unpacked');
    this.tmpDir = path.join(this.root, 'tmp');
    this.metaFile = path.join(this.root, 'images.json');
    this.insecure = opts.insecureRegistries ?? [];
    this.ca = opts.caFile !== undefined ? fs.readFileSync(opts.caFile) : undefined;
    this.mirrors = parseMirrors(opts.mirrors ?? {});
    // A mirror's URL names its scheme: no probing, no insecure list needed.
    for (const m of this.mirrors.values()) this.schemes.set(m.host, m.scheme);
    this.maxManifestBytes = opts.maxManifestBytes ?? DEFAULT_MAX_MANIFEST;
    this.log = opts.log ?? ((m) => process.stderr.write(`tsvisor image store: ${m}\n`));
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    for (const d of [this.root, this.unpackedDir, this.tmpDir]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.unpackedDir, 0o755);
    this.blobs = new BlobStore(path.join(this.root, 'blobs', 'sha256'), this.tmpDir);
    this.reload();
  }

  /** Loads images.json, dropping records whose content is gone, then collects unreferenced content. */
  private reload(): void {
    let dropped = false;
    for (const img of loadImages(this.metaFile)) {
      const missing = [img.id, ...img.layers].find((d) => !fs.existsSync(this.blobs.path(d))) ??
        (fs.existsSync(this.rootDir(img.chainId)) ? undefined : `unpacked root ${img.chainId}`);
      if (missing !== undefined) {
        this.log(`dropping image ${img.id} (${img.repoTags.join(', ')}): ${missing} is missing`);
        dropped = true;
        continue;
      }
      this.images.set(img.id, img);
    }
    if (dropped) this.save();
    this.gc();
  }

  setInUse(check: (imageId: string) => boolean): void {
    this.inUse = check;
  }

  /** Pulls `ref` (normalized like docker); concurrent pulls of the same reference share one download. */
  pull(ref: string, auth?: AuthConfig): Promise<ImageRecord> {
    let r: Reference;
    try {
      r = parseReference(ref);
    } catch (e) {
      return Promise.reject(e);
    }
    const key = formatReference(r);
    let p = this.pulls.get(key);
    if (p === undefined) {
      p = this.doPull(r, auth).finally(() => this.pulls.delete(key));
      this.pulls.set(key, p);
    }
    return p;
  }

  private async doPull(r: Reference, auth: AuthConfig | undefined): Promise<ImageRecord> {
    this.activePulls++;
    try {
      const host = this.mirrors.get(r.domain)?.host ?? registryHost(r.domain);
      const client = new RegistryClient(host, r.path, auth, { insecure: this.insecure, ca: this.ca, schemes: this.schemes });
      const manifests: { digest: string; body: Buffer }[] = [];
      const fetchManifest = async (ref: string, expected?: Descriptor) => {
        const m = await client.manifest(ref, MANIFEST_ACCEPT, this.maxManifestBytes);
        const digest = sha256(m.body);
        const want = expected?.digest ?? r.digest;
        if (want !== undefined && digest !== want) throw new PullError(`manifest ${ref} failed verification: its content has digest ${digest}`);
        if (expected !== undefined && m.body.length !== expected.size) throw new PullError(`manifest ${ref} is ${m.body.length} bytes, its descriptor says ${expected.size}`);
        if (m.digest?.startsWith('sha256:') && m.digest !== digest) throw new PullError(`registry says manifest ${ref} has digest ${m.digest}, its content has ${digest}`);
        manifests.push({ digest, body: m.body });
        return parseManifest(m.body, m.mediaType);
      };

      let parsed = await fetchManifest(r.digest ?? r.tag!);
      for (let depth = 0; parsed.kind === 'index'; depth++) {
        if (depth === MAX_INDEX_DEPTH) throw new PullError('indexes nested too deep');
        const d = selectPlatform(parsed.manifests);
        parsed = await fetchManifest(d.digest, d);
      }
      if (parsed.config.size > MAX_CONFIG_BYTES) throw new PullError(`image config is ${parsed.config.size} bytes, over the limit of ${MAX_CONFIG_BYTES}`);
      await this.fetchBlob(client, parsed.config);
      const { config, diffIds } = parseConfig(this.blobs.read(parsed.config.digest));
      if (diffIds.length !== parsed.layers.length) {
        throw new PullError(`manifest has ${parsed.layers.length} layers but the config lists ${diffIds.length} diff IDs`);
      }
      for (const l of parsed.layers) await this.fetchBlob(client, l);
      const chainId = chainIds(diffIds).pop() ?? sha256('');
      await this.unpack(chainId, parsed.layers, diffIds);
      for (const m of manifests) {
        if (!this.blobs.has(m.digest, m.body.length)) await this.blobs.put(m.digest, m.body.length, [m.body]);
      }
      return this.commit(r, {
        id: parsed.config.digest,
        repoTags: [],
        repoDigests: [],
        size: parsed.layers.reduce((s, l) => s + l.size, 0),
        config,
        pinned: false,
        manifests: manifests.map((m) => m.digest),
        layers: parsed.layers.map((l) => l.digest),
        chainId,
      });
    } catch (e) {
      // What the failed pull stored is referenced by nothing.
      this.gcPending = true;
      if (e instanceof PullError) throw new PullError(`pulling ${formatReference(r)}: ${e.message}`);
      throw e;
    } finally {
      if (--this.activePulls === 0 && this.gcPending) this.gc();
    }
  }

  private async fetchBlob(client: RegistryClient, d: Descriptor): Promise<void> {
    if (this.blobs.has(d.digest, d.size)) return;
    const res: IncomingMessage = await client.blob(d.digest);
    try {
      await this.blobs.put(d.digest, d.size, res);
    } finally {
      res.destroy();
    }
  }

  /** Builds the root for `chainId` in tmp/ and renames it into place; once per chain ID. */
  private unpack(chainId: string, layers: Descriptor[], diffIds: string[]): Promise<void> {
    const dest = this.rootDir(chainId);
    if (fs.existsSync(dest)) return Promise.resolve();
    let p = this.unpacks.get(chainId);
    if (p === undefined) {
      p = (async () => {
        const work = fs.mkdtempSync(path.join(this.tmpDir, 'unpack-'));
        try {
          fs.chmodSync(work, 0o755);
          const applier = new LayerApplier(work, this.log);
          for (const [i, l] of layers.entries()) {
            try {
              await applyLayerBlob(this.blobs.path(l.digest), diffIds[i], applier);
            } catch (e) {
              if (e instanceof ApplyError || e instanceof TarError) throw new PullError(`layer ${i} (${l.digest}): ${e.message}`);
              throw e;
            }
          }
          fs.renameSync(work, dest);
        } finally {
          fs.rmSync(work, { recursive: true, force: true });
        }
      })().finally(() => this.unpacks.delete(chainId));
      this.unpacks.set(chainId, p);
    }
    return p;
  }

  /** Makes a pulled image visible: merges it with an existing record of the same id and moves the tag to it. */
  private commit(r: Reference, pulled: StoredImage): ImageRecord {
    const name = repoName(r);
    const repoTag = r.tag !== undefined ? `${name}:${r.tag}` : undefined;
    const repoDigest = `${name}@${pulled.manifests[0]}`;
    const img = this.images.get(pulled.id) ?? pulled;
    for (const other of this.images.values()) {
      if (other !== img) other.repoTags = other.repoTags.filter((t) => t !== repoTag);
    }
    if (repoTag !== undefined && !img.repoTags.includes(repoTag)) img.repoTags.push(repoTag);
    if (!img.repoDigests.includes(repoDigest)) img.repoDigests.push(repoDigest);
    for (const m of pulled.manifests) if (!img.manifests.includes(m)) img.manifests.push(m);
    this.images.set(img.id, img);
    this.save();
    return publicRecord(img);
  }

  get(refOrId: string): ImageRecord | undefined {
    const found = this.lookup(refOrId);
    return found && publicRecord(found.image);
  }

  list(): ImageRecord[] {
    return [...this.images.values()].map(publicRecord);
  }

  /**
   * Removes a tag, and the image once it has no tags left; an id or digest
   * reference removes the image. Throws ImageInUseError, changing nothing,
   * when the image would go while a container uses it.
   */
  remove(refOrId: string): void {
    const found = this.lookup(refOrId);
    if (found === undefined) throw new ImageNotFoundError(refOrId);
    const { image, tag } = found;
    if (tag !== undefined && image.repoTags.length > 1) {
      image.repoTags = image.repoTags.filter((t) => t !== tag);
      this.save();
      return;
    }
    if (this.inUse(image.id)) throw new ImageInUseError(refOrId, image.id);
    this.images.delete(image.id);
    this.save();
    this.gc();
  }

  /** By id (full, `sha256:`-less, or a unique prefix of 12+ hex digits), name:tag or name@digest. */
  private lookup(refOrId: string): { image: StoredImage; tag?: string } | undefined {
    const idMatch = /^(sha256:)?([a-f0-9]{12,64})$/.exec(refOrId);
    if (idMatch !== null) {
      const matches = [...this.images.keys()].filter((id) => hex(id).startsWith(idMatch[2]));
      if (matches.length === 1) return { image: this.images.get(matches[0])! };
      if (idMatch[1] !== undefined || idMatch[2].length === 64) return undefined;
    }
    let r: Reference;
    try {
      r = parseReference(refOrId);
    } catch {
      return undefined;
    }
    const name = repoName(r);
    if (r.digest !== undefined) {
      const want = `${name}@${r.digest}`;
      const image = [...this.images.values()].find((i) => i.repoDigests.includes(want));
      return image && { image };
    }
    const tag = `${name}:${r.tag}`;
    const image = [...this.images.values()].find((i) => i.repoTags.includes(tag));
    return image && { image, tag };
  }

  /** The image's read-only root directory, all layers applied. */
  rootfs(imageId: string): string {
    const found = this.lookup(imageId);
    if (found === undefined) throw new ImageNotFoundError(imageId);
    return this.rootDir(found.image.chainId);
  }

  /** Usage of the store's file system tree (hard-linked inodes counted once). */
  fsInfo(): { mountpoint: string; usedBytes: number; inodesUsed: number; timestampNs: bigint } {
    if (this.usage === undefined) {
      const seen = new Set<bigint>();
      let usedBytes = 0;
      const walk = (p: string): void => {
        const st = fs.lstatSync(p, { bigint: true });
        if (seen.has(st.ino)) return;
        seen.add(st.ino);
        usedBytes += Number(st.blocks) * 512;
        if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
      };
      walk(this.root);
      this.usage = { usedBytes, inodesUsed: seen.size };
    }
    return { mountpoint: this.root, ...this.usage, timestampNs: BigInt(Date.now()) * 1_000_000n };
  }

  private rootDir(chainId: string): string {
    return path.join(this.unpackedDir, hex(chainId));
  }

  private save(): void {
    saveImages(this.metaFile, [...this.images.values()]);
    this.usage = undefined;
  }

  /** Deletes blobs and unpacked roots no image references; deferred while pulls run. */
  private gc(): void {
    if (this.activePulls > 0) {
      this.gcPending = true;
      return;
    }
    this.gcPending = false;
    const blobs = new Set<string>();
    const roots = new Set<string>();
    for (const img of this.images.values()) {
      for (const d of [img.id, ...img.layers, ...img.manifests]) blobs.add(d);
      roots.add(hex(img.chainId));
    }
    for (const d of this.blobs.list()) if (!blobs.has(d)) this.blobs.remove(d);
    for (const d of fs.readdirSync(this.unpackedDir)) if (!roots.has(d)) fs.rmSync(path.join(this.unpackedDir, d), { recursive: true, force: true });
    this.usage = undefined;
  }
}

function publicRecord(i: StoredImage): ImageRecord {
  return { id: i.id, repoTags: [...i.repoTags], repoDigests: [...i.repoDigests], size: i.size, config: structuredClone(i.config), pinned: i.pinned };
}
