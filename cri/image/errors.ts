/** The image store's typed errors; the gRPC layer maps each to a status code. */

/** No image matches the given reference or id. */
export class ImageNotFoundError extends Error {
  override name = 'ImageNotFoundError';
  constructor(readonly ref: string) {
    super(`image not found: ${ref}`);
  }
}

/** The image is used by a container and cannot be removed. */
export class ImageInUseError extends Error {
  override name = 'ImageInUseError';
  constructor(
    readonly ref: string,
    readonly imageId: string,
  ) {
    super(`image ${ref} (${imageId}) is in use by a container`);
  }
}

/** A pull failed: bad reference, registry error, auth, hostile or corrupt content. Nothing became visible. */
export class PullError extends Error {
  override name = 'PullError';
}
