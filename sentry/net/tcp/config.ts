import {
  TCP_FIN_TIMEOUT_MS,
  TCP_KEEPALIVE_DEFAULTS,
  TCP_RETRIES,
  TCP_TIMEWAIT_MS,
} from '../../abi/linux/inet';
import { DEFAULT_RTO, type RtoConfig } from './rto';

/** Per-stack TCP settings (the net.ipv4.tcp_* sysctls of this stack). */
export interface TcpConfig {
  readonly rto: RtoConfig;
  readonly synRetries: number;
  readonly synackRetries: number;
  readonly dataRetries: number;
  readonly timeWaitMs: number;
  readonly finTimeoutMs: number;
  /** Delayed ACK timeout (Linux TCP_DELACK_MIN: 40 ms; RFC 9293 allows up to 500 ms). */
  readonly delayedAckMs: number;
  /** Tail loss probes (RFC 8985 7) on SACK connections. */
  readonly tailLossProbe: boolean;
  /** Probe interval cap for a zero window. */
  readonly persistMaxMs: number;
  /**
   * Initial SO_RCVBUF/SO_SNDBUF (Linux starts at 128 KiB / 16 KiB, gVisor at 1 MiB / 1 MiB). Unless
   * the application sets them, they grow as Linux's autotuning grows them,
   * up to the maxima (Linux's tcp_rmem[2] and tcp_wmem[2]): the receive
   * buffer when the peer filled the window and the application drained it,
   * the send buffer to twice cwnd when the application waited for room.
   */
  readonly rcvBuf: number;
  readonly sndBuf: number;
  readonly rcvBufMax: number;
  readonly sndBufMax: number;
  /** Embryonic connections per listener (tcp_max_syn_backlog); more SYNs get cookies or are dropped. */
  readonly maxSynBacklog: number;
  /** tcp_syncookies 1 (Linux's default): a full SYN queue answers with SYN cookies (syncookies.ts) instead of dropping. */
  readonly syncookies: boolean;
  readonly keepIdleMs: number;
  readonly keepIntvlMs: number;
  readonly keepCnt: number;
}

export const DEFAULT_TCP_CONFIG: TcpConfig = {
  rto: DEFAULT_RTO,
  synRetries: TCP_RETRIES.SYN,
  synackRetries: TCP_RETRIES.SYNACK,
  dataRetries: TCP_RETRIES.DATA,
  timeWaitMs: TCP_TIMEWAIT_MS,
  finTimeoutMs: TCP_FIN_TIMEOUT_MS,
  delayedAckMs: 40,
  tailLossProbe: true,
  persistMaxMs: 60_000,
  // 1 MiB as gVisor's netstack (tcp.DefaultReceiveBufferSize): a bulk receive's first round trips are
  // held back by the offered window less (bench/net.ts, 100 MB received: +23 % over 256 KiB).
  rcvBuf: 1024 * 1024,
  sndBuf: 256 * 1024,
  rcvBufMax: 6 * 1024 * 1024,
  sndBufMax: 4 * 1024 * 1024,
  maxSynBacklog: 256,
  syncookies: true,
  keepIdleMs: TCP_KEEPALIVE_DEFAULTS.IDLE_S * 1000,
  keepIntvlMs: TCP_KEEPALIVE_DEFAULTS.INTVL_S * 1000,
  keepCnt: TCP_KEEPALIVE_DEFAULTS.CNT,
};
