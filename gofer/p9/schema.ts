/**
 * Field layouts of every supported 9P2000.L message, as data. The codec
 * (codec.ts) walks these lists, so each layout is written exactly once and
 * the message object types are derived from it.
 */
import { MsgType, Qid } from './types';

/** Wire field kinds: fixed-width integers, len[2]-prefixed UTF-8 strings,
 * 13-byte qids, n[2]-prefixed lists, and count[4]-prefixed byte data. */
interface KindTypes {
  u8: number;
  u16: number;
  u32: number;
  u64: bigint;
  str: string;
  qid: Qid;
  strs: string[];
  qids: Qid[];
  data: Buffer;
}
export type Kind = keyof KindTypes;
export type KindValue<K extends Kind> = KindTypes[K];

type Field = readonly [string, Kind];
type Layout = readonly Field[];

/** The Rgetattr body, also the tail of Rwalkgetattr (our extension). */
const GETATTR_FIELDS = [
  ['valid', 'u64'],
  ['qid', 'qid'],
  ['mode', 'u32'],
  ['uid', 'u32'],
  ['gid', 'u32'],
  ['nlink', 'u64'],
  ['rdev', 'u64'],
  ['size', 'u64'],
  ['blksize', 'u64'],
  ['blocks', 'u64'],
  ['atimeSec', 'u64'],
  ['atimeNsec', 'u64'],
  ['mtimeSec', 'u64'],
  ['mtimeNsec', 'u64'],
  ['ctimeSec', 'u64'],
  ['ctimeNsec', 'u64'],
  ['btimeSec', 'u64'],
  ['btimeNsec', 'u64'],
  ['gen', 'u64'],
  ['dataVersion', 'u64'],
] as const satisfies Layout;

export const LAYOUTS = {
  [MsgType.Rlerror]: [['ecode', 'u32']],
  [MsgType.Tstatfs]: [['fid', 'u32']],
  [MsgType.Rstatfs]: [
    ['fsType', 'u32'],
    ['bsize', 'u32'],
    ['blocks', 'u64'],
    ['bfree', 'u64'],
    ['bavail', 'u64'],
    ['files', 'u64'],
    ['ffree', 'u64'],
    ['fsid', 'u64'],
    ['namelen', 'u32'],
  ],
  [MsgType.Tlopen]: [
    ['fid', 'u32'],
    ['flags', 'u32'],
  ],
  [MsgType.Rlopen]: [
    ['qid', 'qid'],
    ['iounit', 'u32'],
  ],
  [MsgType.Tlcreate]: [
    ['fid', 'u32'],
    ['name', 'str'],
    ['flags', 'u32'],
    ['mode', 'u32'],
    ['gid', 'u32'],
  ],
  [MsgType.Rlcreate]: [
    ['qid', 'qid'],
    ['iounit', 'u32'],
  ],
  [MsgType.Tsymlink]: [
    ['fid', 'u32'],
    ['name', 'str'],
    ['target', 'str'],
    ['gid', 'u32'],
  ],
  [MsgType.Rsymlink]: [['qid', 'qid']],
  [MsgType.Tmknod]: [
    ['dfid', 'u32'],
    ['name', 'str'],
    ['mode', 'u32'],
    ['major', 'u32'],
    ['minor', 'u32'],
    ['gid', 'u32'],
  ],
  [MsgType.Rmknod]: [['qid', 'qid']],
  [MsgType.Treadlink]: [['fid', 'u32']],
  [MsgType.Rreadlink]: [['target', 'str']],
  [MsgType.Tgetattr]: [
    ['fid', 'u32'],
    ['requestMask', 'u64'],
  ],
  [MsgType.Rgetattr]: GETATTR_FIELDS,
  [MsgType.Tsetattr]: [
    ['fid', 'u32'],
    ['valid', 'u32'],
    ['mode', 'u32'],
    ['uid', 'u32'],
    ['gid', 'u32'],
    ['size', 'u64'],
    ['atimeSec', 'u64'],
    ['atimeNsec', 'u64'],
    ['mtimeSec', 'u64'],
    ['mtimeNsec', 'u64'],
  ],
  [MsgType.Rsetattr]: [],
  [MsgType.Treaddir]: [
    ['fid', 'u32'],
    ['offset', 'u64'],
    ['count', 'u32'],
  ],
  /** `data` holds packed dirents: qid[13] offset[8] type[1] name[s]. */
  [MsgType.Rreaddir]: [['data', 'data']],
  [MsgType.Tfsync]: [
    ['fid', 'u32'],
    ['datasync', 'u32'],
  ],
  [MsgType.Rfsync]: [],
  [MsgType.Tlink]: [
    ['dfid', 'u32'],
    ['fid', 'u32'],
    ['name', 'str'],
  ],
  [MsgType.Rlink]: [],
  [MsgType.Tmkdir]: [
    ['dfid', 'u32'],
    ['name', 'str'],
    ['mode', 'u32'],
    ['gid', 'u32'],
  ],
  [MsgType.Rmkdir]: [['qid', 'qid']],
  [MsgType.Trenameat]: [
    ['oldDirFid', 'u32'],
    ['oldName', 'str'],
    ['newDirFid', 'u32'],
    ['newName', 'str'],
  ],
  [MsgType.Rrenameat]: [],
  [MsgType.Tunlinkat]: [
    ['dirFid', 'u32'],
    ['name', 'str'],
    ['flags', 'u32'],
  ],
  [MsgType.Runlinkat]: [],
  [MsgType.Tversion]: [
    ['msize', 'u32'],
    ['version', 'str'],
  ],
  [MsgType.Rversion]: [
    ['msize', 'u32'],
    ['version', 'str'],
  ],
  [MsgType.Tattach]: [
    ['fid', 'u32'],
    ['afid', 'u32'],
    ['uname', 'str'],
    ['aname', 'str'],
    ['nUname', 'u32'],
  ],
  [MsgType.Rattach]: [['qid', 'qid']],
  [MsgType.Tflush]: [['oldtag', 'u16']],
  [MsgType.Rflush]: [],
  [MsgType.Twalk]: [
    ['fid', 'u32'],
    ['newfid', 'u32'],
    ['names', 'strs'],
  ],
  [MsgType.Rwalk]: [['qids', 'qids']],
  [MsgType.Tread]: [
    ['fid', 'u32'],
    ['offset', 'u64'],
    ['count', 'u32'],
  ],
  [MsgType.Rread]: [['data', 'data']],
  [MsgType.Twrite]: [
    ['fid', 'u32'],
    ['offset', 'u64'],
    ['data', 'data'],
  ],
  [MsgType.Rwrite]: [['count', 'u32']],
  [MsgType.Tclunk]: [['fid', 'u32']],
  [MsgType.Rclunk]: [],
  [MsgType.Tgetfd]: [['fid', 'u32']],
  /** Empty: the descriptor is ancillary data (see MsgType.Tgetfd). */
  [MsgType.Rgetfd]: [],
  [MsgType.Twalkgetattr]: [
    ['fid', 'u32'],
    ['newfid', 'u32'],
    ['names', 'strs'],
  ],
  [MsgType.Rwalkgetattr]: [['qids', 'qids'], ...GETATTR_FIELDS],
  [MsgType.Tlopenfd]: [
    ['fid', 'u32'],
    ['newfid', 'u32'],
    ['flags', 'u32'],
  ],
  /** The descriptor, when there is one, is ancillary data (see MsgType.Tlopenfd). */
  [MsgType.Rlopenfd]: [
    ['qid', 'qid'],
    ['iounit', 'u32'],
  ],
  [MsgType.Treaddirall]: [
    ['fid', 'u32'],
    ['count', 'u32'],
  ],
  /** As Rreaddir's `data`. */
  [MsgType.Rreaddirall]: [['data', 'data']],
} as const satisfies Record<MsgType, Layout>;

type Layouts = typeof LAYOUTS;
type FieldsOf<L extends Layout> = { -readonly [F in L[number] as F[0]]: KindValue<F[1]> };

/** The message object for one type: `{ type, ...fields }`. */
export type MessageOf<T extends MsgType> = { type: T } & FieldsOf<Layouts[T]>;
/** Any supported 9P2000.L message. */
export type Message = { [T in MsgType]: MessageOf<T> }[MsgType];

export function layoutOf(type: number): Layout | undefined {
  return (LAYOUTS as Record<number, Layout>)[type];
}
