/** Building siginfo_t records (128 bytes) for the signals the Sentry sends. */
import { SI, SIGINFO } from '../../abi/linux/sigframe';
import { SIGINFO_SIZE } from '../signals';
import type { Task } from '../task';

/** A siginfo with only signo and code set (the kernel's own signals use SI_KERNEL). */
export function kernelInfo(signo: number, code: number = SI.KERNEL): Buffer {
  const b = Buffer.alloc(SIGINFO_SIZE);
  b.writeInt32LE(signo, SIGINFO.SIGNO);
  b.writeInt32LE(code, SIGINFO.CODE);
  return b;
}

/** kill(2)/tkill(2)-style siginfo: the sender's pid and real uid. */
export function senderInfo(signo: number, code: number, sender: Task): Buffer {
  const b = kernelInfo(signo, code);
  b.writeInt32LE(sender.process.pid, SIGINFO.PID);
  b.writeUInt32LE(sender.process.creds.uid, SIGINFO.UID);
  return b;
}

export function infoCode(info: Buffer): number {
  return info.readInt32LE(SIGINFO.CODE);
}
