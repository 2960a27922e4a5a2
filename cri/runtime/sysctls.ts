/**
 * A pod's sysctls (PodSandboxConfig.linux.sysctls), checked at
 * RunPodSandbox as runc checks them for containerd: only sysctls of the
 * namespaces a pod has of its own (IPC, network, UTS) and that the
 * sandbox kernel has, with values Linux would accept. The pod's Sentry
 * then sets them before any container starts (`sysctl` control request).
 */
import { parseSysctl, SYSCTLS, sysctlName, sysctlRefusal } from '../../sentry/kernel/sysctl';
import type * as t from '../proto/types';
import { invalidArgument } from '../server/errors';

/** The pod's sysctls by dotted name; refuses (INVALID_ARGUMENT) one the pod cannot have. */
export function podSysctls(config: t.PodSandboxConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.linux?.sysctls ?? {})) {
    const refusal = sysctlRefusal(name);
    if (refusal) throw invalidArgument(refusal);
    const n = sysctlName(name);
    try {
      parseSysctl(SYSCTLS[n], value, SYSCTLS[n].value);
    } catch (e) {
      throw invalidArgument(`sysctl ${name}=${JSON.stringify(value)} is not a valid value (${(e as Error).message})`);
    }
    out[n] = value;
  }
  return out;
}
