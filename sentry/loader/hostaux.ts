/**
 * CPU-describing auxv values copied from the host's own auxiliary vector
 * (AT_HWCAP: CPUID.1:EDX, AT_HWCAP2, AT_MINSIGSTKSZ: the signal frame size
 * the CPU's xsave state needs). Read once when the module loads, before the
 * Sentry confines itself; never AT_SYSINFO_EHDR or other addresses.
 */
import { readFileSync } from 'node:fs';
import { AT } from '../abi/linux/auxv';

export interface CpuAux {
  hwcap: number;
  hwcap2: number;
  minSigStkSz: number;
}

/** Values of a typical x86_64 host, used when /proc/self/auxv is unreadable. */
const FALLBACK: CpuAux = { hwcap: 0x178bfbff, hwcap2: 0x2, minSigStkSz: 0xd30 };

export function parseAuxv(raw: Buffer): Map<number, bigint> {
  const m = new Map<number, bigint>();
  for (let o = 0; o + 16 <= raw.length; o += 16) {
    const key = Number(raw.readBigUInt64LE(o));
    if (key === AT.NULL) break;
    m.set(key, raw.readBigUInt64LE(o + 8));
  }
  return m;
}

function readHostCpuAux(): CpuAux {
  let aux: Map<number, bigint>;
  try {
    aux = parseAuxv(readFileSync('/proc/self/auxv'));
  } catch {
    return FALLBACK;
  }
  const get = (k: number, d: number): number => Number(aux.get(k) ?? BigInt(d));
  return { hwcap: get(AT.HWCAP, FALLBACK.hwcap), hwcap2: get(AT.HWCAP2, 0), minSigStkSz: get(AT.MINSIGSTKSZ, FALLBACK.minSigStkSz) };
}

export const HOST_CPU_AUX: CpuAux = readHostCpuAux();
