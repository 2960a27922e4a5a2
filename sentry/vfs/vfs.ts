/** The sandbox's mount table and path resolution. (Owned by the vfs work.) */
export class Vfs {}
