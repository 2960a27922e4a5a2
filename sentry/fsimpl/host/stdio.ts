import { O } from '../../abi/linux/fs';
import { hostStatusFlags } from '../../platform/host/hostfd';
import { HostFile, host } from './hostfile';

/**
 * Descriptions for fds 0..2 of the first process: the Sentry's host stdio,
 * with the host's access mode and O_APPEND. The host fds are never closed
 * by the sandbox (the Sentry keeps its own stdio).
 */
export function stdioFiles(): HostFile[] {
  return [0, 1, 2].map((fd) => {
    const hostFlags = host(() => hostStatusFlags(fd));
    return new HostFile(fd, (hostFlags & (O.ACCMODE | O.APPEND)) | O.LARGEFILE);
  });
}
