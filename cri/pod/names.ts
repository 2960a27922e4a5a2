// Pod names and ids become file and cgroup path components: reject anything that
// could leave the directory it is joined to.

/** Throws unless `value` is a single, non-empty path component. */
export function assertSafeName(what: string, value: string): void {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..' ||
      value.includes('/') || value.includes('\0') || value.length > 255) {
    throw new Error(`invalid ${what} ${JSON.stringify(value)}: must be one path component (no '/', '.', '..' or NUL, at most 255 bytes)`);
  }
}
