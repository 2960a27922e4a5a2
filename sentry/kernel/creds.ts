import { capBit } from '../abi/linux/capability';
import { CapSets, hostCaps } from './capabilities';

/**
 * Task credentials (credentials(7)); the sandbox starts as the configured
 * user. Privileged operations check `hasCap` (the effective set), never
 * the uid: root without CAP_CHOWN cannot chown, as in a container.
 */
export class Credentials {
  /** PR_SET_KEEPCAPS (SECBIT_KEEP_CAPS): leaving uid 0 keeps the permitted set. Cleared by execve. */
  keepCaps = false;

  constructor(
    public uid = 0,
    public gid = 0,
    public euid = uid,
    public egid = gid,
    public suid = uid,
    public sgid = gid,
    public groups: number[] = [],
    /** The capability sets (kernel/capabilities.ts); by default those of these ids on a host. */
    public caps: CapSets = hostCaps({ uid, euid, suid }),
  ) {}

  /** Whether `cap` is in the effective set (capable(9) in the sandbox's one user namespace). */
  hasCap(cap: number): boolean {
    return (this.caps.effective & capBit(cap)) !== 0n;
  }

  clone(): Credentials {
    const c = new Credentials(this.uid, this.gid, this.euid, this.egid, this.suid, this.sgid, [...this.groups], { ...this.caps });
    c.keepCaps = this.keepCaps;
    return c;
  }
}
