/**
 * A container's masked and read-only paths: the CRI config's masked_paths /
 * readonly_paths, as containerd's CRI plugin passes them (none when the
 * config has none; kubelet sends Kubernetes' defaults itself). The Sentry
 * applies them to the container's mount namespace (sentry/pod/pathmasks.ts).
 */
import type * as t from '../proto/types';

export function pathRulesOf(sc: t.LinuxContainerSecurityContext | null | undefined): { maskedPaths: string[]; readonlyPaths: string[] } {
  return { maskedPaths: sc?.masked_paths ?? [], readonlyPaths: sc?.readonly_paths ?? [] };
}
