/**
 * 9P2000.L constants. Message numbers and field layouts follow the public
 * 9P2000.L protocol description (diod's protocol.md and the Linux v9fs
 * include/net/9p/9p.h): every frame is size[4] type[1] tag[2] body,
 * little-endian; a T-message's reply is its number + 1. Types 128 and up
 * are tsvisor's own extensions (see Tgetfd).
 */

export const enum MsgType {
  Rlerror = 7,
  Tstatfs = 8,
  Rstatfs = 9,
  Tlopen = 12,
  Rlopen = 13,
  Tlcreate = 14,
  Rlcreate = 15,
  Tsymlink = 16,
  Rsymlink = 17,
  Tmknod = 18,
  Rmknod = 19,
  Treadlink = 22,
  Rreadlink = 23,
  Tgetattr = 24,
  Rgetattr = 25,
  Tsetattr = 26,
  Rsetattr = 27,
  Treaddir = 40,
  Rreaddir = 41,
  Tfsync = 50,
  Rfsync = 51,
  Tlink = 70,
  Rlink = 71,
  Tmkdir = 72,
  Rmkdir = 73,
  Trenameat = 74,
  Rrenameat = 75,
  Tunlinkat = 76,
  Runlinkat = 77,
  Tversion = 100,
  Rversion = 101,
  Tattach = 104,
  Rattach = 105,
  Tflush = 108,
  Rflush = 109,
  Twalk = 110,
  Rwalk = 111,
  Tread = 116,
  Rread = 117,
  Twrite = 118,
  Rwrite = 119,
  Tclunk = 120,
  Rclunk = 121,
  /**
   * tsvisor extension (9P2000.L leaves types >= 128 unused): `Tgetfd fid[4]`
   * asks for the host descriptor of the regular file that fid has open
   * read-only (Tlopen O_RDONLY). `Rgetfd` has an empty body; the descriptor
   * travels as SCM_RIGHTS ancillary data on the reply's bytes, so only a
   * unix-socket transport can carry it. Other fids get Rlerror: EINVAL when
   * not open or not a regular file, EACCES when opened for writing.
   */
  Tgetfd = 128,
  Rgetfd = 129,
  /**
   * tsvisor extension: `Twalkgetattr fid[4] newfid[4] nwname[2] nwname*(wname[s])`
   * is a Twalk whose reply also carries the Rgetattr body (all of
   * P9_GETATTR_BASIC) of the last element: `Rwalkgetattr nwqid[2]
   * nwqid*(wqid[13]) valid[8] qid[13] mode[4] …` (the Rgetattr fields in
   * order). A lookup is then one round trip instead of two. A walk that
   * does not reach the last name is an error (ENOTDIR when it stopped at a
   * non-directory, else ENOENT) and newfid is not created.
   */
  Twalkgetattr = 130,
  Rwalkgetattr = 131,
  /**
   * tsvisor extension: `Tlopenfd fid[4] newfid[4] flags[4]` clones fid to
   * newfid (Twalk with no names) and opens it (Tlopen flags): `Rlopenfd
   * qid[13] iounit[4]`, with the descriptor Tgetfd would give for newfid
   * attached when it would give one (none is not an error). Opening a file
   * to read it is then one round trip instead of three. On Rlerror newfid
   * may exist (the open succeeded but the descriptor could not be sent):
   * the client clunks it.
   */
  Tlopenfd = 132,
  Rlopenfd = 133,
  /**
   * tsvisor extension: `Treaddirall fid[4] count[4]` lists the directory
   * fid has walked to (not opened: the Gofer opens and closes it itself),
   * whole: `Rreaddirall data[count]`, dirents packed as in Rreaddir,
   * without . and .. . A listing larger than count (or than msize allows)
   * is Rlerror E2BIG, and the client lists it with Tlopen and Treaddir.
   * Listing a directory is then one round trip instead of five (the clone
   * walk, Tlopen, Treaddir until an empty one, Tclunk).
   */
  Treaddirall = 134,
  Rreaddirall = 135,
}

export const VERSION_9P2000L = '9P2000.L';
/** Tag reserved for Tversion. */
export const NOTAG = 0xffff;
/** "No fid" (Tattach afid when no authentication is used). */
export const NOFID = 0xffffffff;
/** "No numeric uid" in Tattach n_uname. */
export const NONUNAME = 0xffffffff;
/** Twalk carries at most this many names. */
export const MAXWELEM = 16;

/** size[4] type[1] tag[2]. */
export const HEADER_SIZE = 7;
/** Bytes of a Tread/Rread/Twrite frame that are not data (Twrite is the largest: 23). */
export const IOHDRSZ = 24;
/** Default msize: 1 MiB of payload plus headers, so large reads take few round trips. */
export const DEFAULT_MSIZE = (1 << 20) + IOHDRSZ;

/** Qid types. */
export const QT = {
  DIR: 0x80,
  SYMLINK: 0x02,
  FILE: 0x00,
} as const;

/** Tgetattr request_mask / Rgetattr valid: all of mode..blocks (P9_GETATTR_BASIC). */
export const GETATTR_BASIC = 0x7ffn;

/** Tsetattr valid bits. */
export const SETATTR = {
  MODE: 0x1,
  UID: 0x2,
  GID: 0x4,
  SIZE: 0x8,
  ATIME: 0x10,
  MTIME: 0x20,
  CTIME: 0x40,
  ATIME_SET: 0x80,
  MTIME_SET: 0x100,
} as const;

export type { Qid } from '../../sentry/fsimpl/gofer/api';
