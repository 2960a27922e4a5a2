/**
 * Paths of fids, relative to the served root and always absolute-looking
 * ('/', '/a/b'). They only ever grow by validated single components, so a
 * fid path never names anything outside the root.
 */
import { NAME_MAX } from '../sentry/abi/linux/fs';
import { fail } from '../sentry/errors/linuxerr';

/** A name the client may create or look up in a directory: one real component. */
export function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    fail('EINVAL', `bad name ${JSON.stringify(name)}`);
  }
  if (Buffer.byteLength(name, 'utf8') > NAME_MAX) fail('ENAMETOOLONG');
}

export function child(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Lexical parent; the root is its own parent, so '..' can never climb out. */
export function parent(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Whether `path` is `prefix` or lies below it. */
export function isWithin(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix === '/' ? '/' : `${prefix}/`);
}

/** Host path for a root-relative path; after chroot the root is '/'. */
export function hostPath(root: string, path: string): string {
  if (root === '/') return path;
  return path === '/' ? root : root + path;
}
