// Mount points of this process's mount namespace, from /proc/self/mountinfo.
import * as fs from 'fs';

/** Decodes the octal escapes (\040 for space, …) the kernel writes in mountinfo paths. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Every mount point (field 5), in mount order; a path mounted twice appears twice. */
export function mountPoints(mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  return mountinfo.split('\n').filter((l) => l !== '').map((l) => unescape(l.split(' ')[4]));
}

export function isMountPoint(path: string): boolean {
  return mountPoints().includes(path);
}
