/**
 * The local ImageService: CRI messages over tsvisor's image store. The
 * image's user is reported as kubelet expects: a numeric User (or uid of
 * "uid:gid") as `uid`, a name as `username` (kubelet uses them for
 * runAsNonRoot checks).
 */
import { defaults } from '../proto/codec';
import type * as t from '../proto/types';
import { ImageInUseError, ImageRecord, ImageStore, PullError } from '../image/store';
import type { LocalImages } from '../server/backend';
import { CriError, failedPrecondition, invalidArgument } from '../server/errors';
import { status } from '@grpc/grpc-js';

function imageOf(r: ImageRecord): t.Image {
  const user = (r.config.User ?? '').split(':')[0];
  const numeric = /^\d+$/.test(user);
  return {
    ...defaults('Image'),
    id: r.id, repo_tags: r.repoTags, repo_digests: r.repoDigests, size: String(r.size),
    uid: numeric ? { value: user } : null, username: numeric ? '' : user, pinned: r.pinned,
  };
}

export class TsvisorImages implements LocalImages {
  constructor(private readonly store: ImageStore) {}

  async listImages(req: t.ListImagesRequest): Promise<t.ListImagesResponse> {
    const wanted = req.filter?.image?.image;
    const match = wanted ? this.store.get(wanted) : undefined;
    const images = this.store.list().filter((r) => !wanted || r.id === match?.id);
    return { images: images.map(imageOf) };
  }

  async imageStatus(req: t.ImageStatusRequest): Promise<t.ImageStatusResponse> {
    const ref = req.image?.image ?? '';
    if (!ref) throw invalidArgument('image reference is required');
    const r = this.store.get(ref);
    const info: Record<string, string> = {};
    if (r && req.verbose) info.info = JSON.stringify({ config: r.config });
    // CRI: an absent image is an empty status, not an error.
    return { image: r ? imageOf(r) : null, info };
  }

  async pullImage(req: t.PullImageRequest): Promise<t.PullImageResponse> {
    const ref = req.image?.image ?? '';
    if (!ref) throw invalidArgument('image reference is required');
    try {
      const r = await this.store.pull(ref, req.auth ?? undefined);
      return { image_ref: r.id };
    } catch (e) {
      if (e instanceof PullError) throw new CriError(status.UNKNOWN, `pulling ${ref}: ${e.message}`);
      throw e;
    }
  }

  async removeImage(req: t.RemoveImageRequest): Promise<t.RemoveImageResponse> {
    const ref = req.image?.image ?? '';
    if (!ref) throw invalidArgument('image reference is required');
    if (!this.store.get(ref)) return {};
    try {
      this.store.remove(ref);
    } catch (e) {
      if (e instanceof ImageInUseError) throw failedPrecondition(e.message);
      throw e;
    }
    return {};
  }

  async imageFsInfo(_req: t.ImageFsInfoRequest): Promise<t.ImageFsInfoResponse> {
    const fs = this.store.fsInfo();
    const usage: t.FilesystemUsage = {
      timestamp: fs.timestampNs.toString(), fs_id: { mountpoint: fs.mountpoint },
      used_bytes: { value: String(fs.usedBytes) }, inodes_used: { value: String(fs.inodesUsed) },
    };
    return { image_filesystems: [usage], container_filesystems: [] };
  }
}
