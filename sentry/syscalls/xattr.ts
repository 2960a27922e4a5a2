/**
 * Extended attributes. No sandbox filesystem stores them yet: after the
 * same path and argument checks Linux makes, reads find no attribute
 * (ENODATA), lists are empty, and setting or removing is EOPNOTSUPP, as
 * on a Linux filesystem mounted without xattr support.
 */
import { AT_FDCWD } from '../abi/linux/fs';
import { fail } from '../errors/linuxerr';
import { Task } from '../kernel/task';
import { readCString } from '../kernel/usermem';
import { SyscallArgs } from './args';
import { FamilyRows, partial } from './rows';

/** XATTR_NAME_MAX: names are 1..255 bytes (ERANGE otherwise). */
const XATTR_NAME_MAX = 255;

function checkName(t: Task, addr: number): void {
  const name = readCString(t.mem, addr, XATTR_NAME_MAX + 1);
  if (name.length === 0 || name.length > XATTR_NAME_MAX) fail('ERANGE', 'xattr name');
}

/** Resolves the path argument (following a final symlink unless `l*`). */
function checkPath(t: Task, a: SyscallArgs, follow: boolean): void {
  t.process.mounts.resolve(t, AT_FDCWD, readCString(t.mem, a.ptr(0)), follow);
}

type Target = 'path' | 'lpath' | 'fd';

function checkTarget(t: Task, a: SyscallArgs, target: Target): void {
  if (target === 'fd') t.process.fds.get(a.int(0));
  else checkPath(t, a, target === 'path');
}

function getxattr(target: Target) {
  return (t: Task, a: SyscallArgs): number => {
    checkTarget(t, a, target);
    checkName(t, a.ptr(1));
    return fail('ENODATA');
  };
}

function listxattr(target: Target) {
  return (t: Task, a: SyscallArgs): number => {
    checkTarget(t, a, target);
    return 0;
  };
}

function setxattr(target: Target) {
  return (t: Task, a: SyscallArgs): number => {
    checkTarget(t, a, target);
    checkName(t, a.ptr(1));
    return fail('EOPNOTSUPP');
  };
}

const NOTE = 'no filesystem stores extended attributes yet';

export const xattrSyscalls: FamilyRows = {
  getxattr: partial(getxattr('path'), NOTE),
  lgetxattr: partial(getxattr('lpath'), NOTE),
  fgetxattr: partial(getxattr('fd'), NOTE),
  listxattr: partial(listxattr('path'), NOTE),
  llistxattr: partial(listxattr('lpath'), NOTE),
  flistxattr: partial(listxattr('fd'), NOTE),
  setxattr: partial(setxattr('path'), NOTE),
  lsetxattr: partial(setxattr('lpath'), NOTE),
  fsetxattr: partial(setxattr('fd'), NOTE),
  removexattr: partial(setxattr('path'), NOTE),
  lremovexattr: partial(setxattr('lpath'), NOTE),
  fremovexattr: partial(setxattr('fd'), NOTE),
};
