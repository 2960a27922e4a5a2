/**
 * Content-addressed image objects: gzip'd layers, the image config, the
 * manifest and the multi-platform index, in OCI or Docker schema 2 form.
 * Everything is serialized deterministically, so digests are stable.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { FIXED_MTIME, TarEntry, writeTar } from './tar';

export type ManifestFormat = 'oci' | 'docker';

const MEDIA = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
} as const;

export const MEDIA_TYPES = MEDIA;

/** Bytes and the descriptor that names them. */
export interface Blob {
  mediaType: string;
  /** "sha256:<hex>" */
  digest: string;
  size: number;
  data: Buffer;
}

export interface Platform {
  architecture: string;
  os: string;
}

/** The runtime part of an image config ("config" in the OCI image config). */
export interface RunConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  /** e.g. "80/tcp" */
  ExposedPorts?: string[];
  Labels?: Record<string, string>;
}

export interface Layer {
  /** The gzip'd tar as stored in the registry. */
  blob: Blob;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids). */
  diffId: string;
  tar: Buffer;
  entries: readonly TarEntry[];
}

/** One platform's image: config + layers + the manifest naming them. */
export interface PlatformImage {
  platform: Platform;
  runConfig: RunConfig;
  layers: Layer[];
  config: Blob;
  manifest: Blob;
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function blobOf(mediaType: string, data: Buffer): Blob {
  return { mediaType, digest: sha256(data), size: data.length, data };
}

export function descriptor(b: Blob): { mediaType: string; digest: string; size: number } {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size };
}

export function makeLayer(entries: readonly TarEntry[], format: ManifestFormat): Layer {
  const tar = writeTar(entries);
  // gzip's header holds no name and mtime 0 from node:zlib, so the output is stable.
  return { blob: blobOf(MEDIA[format].layer, gzipSync(tar, { level: 9 })), diffId: sha256(tar), tar, entries };
}

/** Re-labels a layer for another manifest format (same bytes, same digest). */
export function relabelLayer(l: Layer, format: ManifestFormat): Layer {
  return { ...l, blob: { ...l.blob, mediaType: MEDIA[format].layer } };
}

export function makePlatformImage(
  format: ManifestFormat,
  platform: Platform,
  runConfig: RunConfig,
  layers: Layer[],
): PlatformImage {
  const created = new Date(FIXED_MTIME * 1000).toISOString();
  const { ExposedPorts, ...rest } = runConfig;
  const config = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    config: {
      ...rest,
      ...(ExposedPorts ? { ExposedPorts: Object.fromEntries(ExposedPorts.map((p) => [p, {}])) } : {}),
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created, created_by: 'tsvisor e2e/images' })),
  };
  const configBlob = blobOf(MEDIA[format].config, json(config));
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA[format].manifest,
    config: descriptor(configBlob),
    layers: layers.map((l) => descriptor(l.blob)),
  };
  return { platform, runConfig, layers, config: configBlob, manifest: blobOf(MEDIA[format].manifest, json(manifest)) };
}

export function makeIndex(format: ManifestFormat, images: readonly PlatformImage[]): Blob {
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA[format].index,
    manifests: images.map((i) => ({ ...descriptor(i.manifest), platform: i.platform })),
  };
  return blobOf(MEDIA[format].index, json(index));
}

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

/** A tagged image as pushed to a registry. */
export interface TestImage {
  /** Repository path in the registry, e.g. "tsvisor-test/busybox". */
  repository: string;
  tag: string;
  /** What the tag points to: a manifest, or an index / manifest list. */
  manifest: Blob;
  /** The platform images it names; [0] is linux/amd64. */
  images: PlatformImage[];
}

export const AMD64: Platform = { architecture: 'amd64', os: 'linux' };

/** `repository:tag` pointing straight at one linux/amd64 manifest. */
export function singleImage(repository: string, tag: string, image: PlatformImage): TestImage {
  return { repository, tag, manifest: image.manifest, images: [image] };
}

/** `repository:tag` pointing at an index of `images` (an OCI index or a Docker manifest list). */
export function indexImage(repository: string, tag: string, format: ManifestFormat, images: PlatformImage[]): TestImage {
  return { repository, tag, manifest: makeIndex(format, images), images };
}

/** Every distinct blob an image needs in the registry besides its manifests: configs and layers. */
export function imageBlobs(t: TestImage): Blob[] {
  const byDigest = new Map<string, Blob>();
  for (const i of t.images) for (const b of [...i.layers.map((l) => l.blob), i.config]) byDigest.set(b.digest, b);
  return [...byDigest.values()];
}

/**
 * A stand-in image for another platform in a multi-arch index: one README,
 * nothing runnable, so a runtime that picks it instead of linux/amd64 fails visibly.
 */
export function placeholderImage(format: ManifestFormat, platform: Platform, runConfig: RunConfig): PlatformImage {
  const readme = `placeholder ${platform.os}/${platform.architecture} image: nothing here runs\n`;
  return makePlatformImage(format, platform, runConfig, [makeLayer([{ type: 'file', path: 'README', data: readme, mode: 0o644 }], format)]);
}

export const ARM64: Platform = { architecture: 'arm64', os: 'linux' };
