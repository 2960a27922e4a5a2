/** Task credentials (credentials(7)); the sandbox starts as the configured user. */
export class Credentials {
  constructor(
    public uid = 0,
    public gid = 0,
    public euid = uid,
    public egid = gid,
    public suid = uid,
    public sgid = gid,
    public groups: number[] = [],
  ) {}

  clone(): Credentials {
    return new Credentials(this.uid, this.gid, this.euid, this.egid, this.suid, this.sgid, [...this.groups]);
  }
}
