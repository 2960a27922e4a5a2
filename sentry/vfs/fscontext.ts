/**
 * A process's root, working directory and umask. Paths are canonical
 * absolute sandbox paths (no "..", no symlinks); the Vfs resolves from them.
 */
export class FsContext {
  constructor(
    public cwd = '/',
    public umask = 0o022,
    public root = '/',
  ) {}

  /** fork(2) without CLONE_FS: an independent copy. */
  clone(): FsContext {
    return new FsContext(this.cwd, this.umask, this.root);
  }
}
