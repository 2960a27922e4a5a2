/**
 * A container's masked and read-only paths, as containerd sets them: the
 * CRI config's masked_paths / readonly_paths when given (kubelet sends
 * Kubernetes' defaults), else the defaults of containerd's OCI spec. The Sentry applies them to the
 * container's mount namespace (sentry/pod/pathmasks.ts).
 */
import type * as t from '../proto/types';

/** containerd's default masked paths (the kernel information a container should not read). */
export const DEFAULT_MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/sys/firmware', '/sys/devices/virtual/powercap', '/proc/scsi',
];

/** containerd's default read-only paths (kernel settings a container should not change). */
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function pathRulesOf(sc: t.LinuxContainerSecurityContext | null | undefined): { maskedPaths: string[]; readonlyPaths: string[] } {
  // proto3 cannot tell an empty list from none: like containerd (a nil Go slice), an empty one means "the defaults".
  const masked = sc?.masked_paths ?? [];
  const readonly = sc?.readonly_paths ?? [];
  return {
    maskedPaths: masked.length > 0 ? masked : DEFAULT_MASKED_PATHS,
    readonlyPaths: readonly.length > 0 ? readonly : DEFAULT_READONLY_PATHS,
  };
}
