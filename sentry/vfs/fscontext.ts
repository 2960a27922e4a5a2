/** A process's root, working directory and umask. (Owned by the vfs work.) */
export class FsContext {}
