// Socket control messages for passing descriptors over AF_UNIX sockets on
// x86_64: struct msghdr (include/linux/socket.h, the user layout), struct
// cmsghdr and CMSG_* alignment (include/linux/socket.h), SOL_SOCKET
// (include/uapi/asm-generic/socket.h), SCM_RIGHTS and MSG_* flags
// (include/linux/socket.h).

export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1;

export const MSG = {
  CTRUNC: 0x8,
  TRUNC: 0x20,
  DONTWAIT: 0x40,
  NOSIGNAL: 0x4000,
  CMSG_CLOEXEC: 0x40000000,
} as const;

/** struct msghdr: name, namelen, iov, iovlen, control, controllen, flags. */
export const MSGHDR = {
  SIZE: 56,
  NAME: 0,
  NAMELEN: 8,
  IOV: 16,
  IOVLEN: 24,
  CONTROL: 32,
  CONTROLLEN: 40,
  FLAGS: 48,
} as const;

/** struct iovec: base, len. */
export const IOVEC_SIZE = 16;
/** UIO_MAXIOV: the most iovecs one readv/writev/process_vm_writev takes (also the most messages of one sendmmsg/recvmmsg). */
export const UIO_MAXIOV = 1024;

/** struct cmsghdr: len (size_t), level, type, then data at CMSG_DATA. */
export const CMSGHDR = {
  LEN: 0,
  LEVEL: 8,
  TYPE: 12,
  DATA: 16,
} as const;

/** CMSG_SPACE(n): header plus n data bytes rounded up to sizeof(long). */
export function cmsgSpace(n: number): number {
  return CMSGHDR.DATA + ((n + 7) & ~7);
}

/** CMSG_LEN(n): the cmsg_len of a message with n data bytes. */
export function cmsgLen(n: number): number {
  return CMSGHDR.DATA + n;
}
