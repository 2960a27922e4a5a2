/**
 * OCI and Docker schema 2 manifests, indexes and image configs: media types,
 * validation of what a registry sent, and linux/amd64 selection.
 */
import { PullError } from './errors';
import { DIGEST_RE } from './reference';

export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** What PullImage asks registries for, best first. */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.ociManifest, MT.dockerList, MT.dockerManifest];

const INDEX_TYPES = new Set<string>([MT.ociIndex, MT.dockerList]);
const MANIFEST_TYPES = new Set<string>([MT.ociManifest, MT.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MT.ociConfig, MT.dockerConfig]);
const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);
/** Content types that say nothing about which manifest this is. */
const GENERIC_TYPES = new Set(['', 'application/json', 'text/plain', 'application/octet-stream']);

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] }
  | { kind: 'manifest'; mediaType: string; config: Descriptor; layers: Descriptor[] };

/** The `config` object of an image config: what a container inherits. */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Volumes?: Record<string, object>;
}

export interface ParsedConfig {
  config: ImageConfig;
  diffIds: string[];
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(body: Buffer, what: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new PullError(`${what} is not valid JSON`);
  }
  if (!isObject(v)) throw new PullError(`${what} is not a JSON object`);
  return v;
}

function checkDigest(v: unknown, what: string): string {
  if (typeof v !== 'string' || !DIGEST_RE.test(v)) {
    throw new PullError(`${what}: digest ${JSON.stringify(v)} is not sha256:<64 hex digits> (the only algorithm supported)`);
  }
  return v;
}

function descriptor(v: unknown, what: string): Descriptor {
  if (!isObject(v)) throw new PullError(`${what} is not a descriptor object`);
  const { mediaType, size, platform } = v;
  if (typeof mediaType !== 'string') throw new PullError(`${what} has no mediaType`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new PullError(`${what} has an invalid size ${JSON.stringify(size)}`);
  const d: Descriptor = { mediaType, digest: checkDigest(v.digest, what), size };
  if (isObject(platform) && typeof platform.os === 'string' && typeof platform.architecture === 'string') {
    d.platform = { os: platform.os, architecture: platform.architecture };
    if (typeof platform.variant === 'string' && platform.variant !== '') d.platform.variant = platform.variant;
  }
  return d;
}

/**
 * Parses a manifest or index. The media type comes from the body's
 * `mediaType`, else the Content-Type, else the shape (OCI allows omitting
 * it); a body and header that disagree are refused.
 */
export function parseManifest(body: Buffer, contentType: string): ParsedManifest {
  const schema1 = 'Docker schema 1 manifests are not supported; push the image again with schema 2 or as OCI';
  if (contentType === MT.dockerSchema1 || contentType === MT.dockerSchema1Signed) throw new PullError(schema1);
  const m = parseJson(body, 'manifest');
  if (m.schemaVersion === 1) throw new PullError(schema1);
  if (m.schemaVersion !== 2) throw new PullError(`manifest has unsupported schemaVersion ${JSON.stringify(m.schemaVersion)}`);
  const bodyType = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  const headerType = GENERIC_TYPES.has(contentType) ? undefined : contentType;
  if (bodyType !== undefined && headerType !== undefined && bodyType !== headerType) {
    throw new PullError(`manifest media type mismatch: Content-Type ${headerType}, body says ${bodyType}`);
  }
  const mediaType = bodyType ?? headerType ?? (Array.isArray(m.manifests) ? MT.ociIndex : MT.ociManifest);
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(m.manifests)) throw new PullError('index has no manifests array');
    return { kind: 'index', mediaType, manifests: m.manifests.map((d, i) => descriptor(d, `index entry ${i}`)) };
  }
  if (!MANIFEST_TYPES.has(mediaType)) throw new PullError(`unsupported manifest media type ${JSON.stringify(mediaType)}`);
  const config = descriptor(m.config, 'manifest config');
  if (!CONFIG_TYPES.has(config.mediaType)) throw new PullError(`config has media type ${config.mediaType}: not a container image`);
  if (!Array.isArray(m.layers)) throw new PullError('manifest has no layers array');
  const layers = m.layers.map((d, i) => {
    const l = descriptor(d, `layer ${i}`);
    if (l.mediaType.endsWith('+zstd')) throw new PullError(`layer ${i} is zstd-compressed, which is not supported`);
    if (!LAYER_TYPES.has(l.mediaType)) throw new PullError(`layer ${i} has media type ${l.mediaType}: not an image layer`);
    return l;
  });
  return { kind: 'manifest', mediaType, config, layers };
}

/** The index entry for linux/amd64 (no variant). */
export function selectPlatform(manifests: Descriptor[]): Descriptor {
  const d = manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64' && m.platform.variant === undefined);
  if (d !== undefined) return d;
  const have = manifests.map((m) => (m.platform ? [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/') : 'unknown'));
  throw new PullError(`no linux/amd64 image in the index (it has: ${have.join(', ') || 'nothing'})`);
}

function stringField(c: Json, k: string): string | undefined {
  const v = c[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new PullError(`image config: ${k} is not a string`);
  return v;
}

function stringsField(c: Json, k: string): string[] | undefined {
  const v = c[k];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new PullError(`image config: ${k} is not a list of strings`);
  return v as string[];
}

function objectField<T>(c: Json, k: string, ok: (v: unknown) => boolean): Record<string, T> | undefined {
  const v = c[k];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || !Object.values(v).every(ok)) throw new PullError(`image config: ${k} is malformed`);
  return v as Record<string, T>;
}

/** Validates an image config blob and extracts what containers inherit plus the layers' diff IDs. */
export function parseConfig(body: Buffer): ParsedConfig {
  const c = parseJson(body, 'image config');
  const os = c.os ?? 'linux';
  const arch = c.architecture ?? 'amd64';
  if (os !== 'linux' || arch !== 'amd64') throw new PullError(`image is for ${String(os)}/${String(arch)}; this runtime runs linux/amd64`);
  const rootfs = c.rootfs;
  if (!isObject(rootfs) || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) throw new PullError('image config has no rootfs.diff_ids');
  const diffIds = rootfs.diff_ids.map((d, i) => checkDigest(d, `image config diff_ids[${i}]`));
  const src = isObject(c.config) ? c.config : {};
  const config: ImageConfig = {
    User: stringField(src, 'User'),
    Env: stringsField(src, 'Env'),
    Entrypoint: stringsField(src, 'Entrypoint'),
    Cmd: stringsField(src, 'Cmd'),
    WorkingDir: stringField(src, 'WorkingDir'),
    ExposedPorts: objectField<object>(src, 'ExposedPorts', isObject),
    Labels: objectField<string>(src, 'Labels', (v) => typeof v === 'string'),
    StopSignal: stringField(src, 'StopSignal'),
    Volumes: objectField<object>(src, 'Volumes', isObject),
  };
  for (const k of Object.keys(config) as (keyof ImageConfig)[]) if (config[k] === undefined) delete config[k];
  return { config, diffIds };
}
