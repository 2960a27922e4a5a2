/** A process's file descriptor table. (Owned by the vfs work.) */
export class FdTable {}
