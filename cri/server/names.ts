/**
 * Name reservation, as containerd's "name is reserved" registrar: a pod or
 * container name (built from its metadata) maps to at most one id, so two
 * concurrent RunPodSandbox calls for the same pod cannot both create one.
 */
import type { ContainerMetadata, PodSandboxMetadata } from '../proto/types';
import { alreadyExists } from './errors';

export class NameIndex {
  private readonly byName = new Map<string, string>();

  /**
   * Reserves `name` for `id`. Reserving the same pair again is a no-op (a
   * retried call after a restart); another id gets ALREADY_EXISTS.
   */
  reserve(name: string, id: string): void {
    const owner = this.byName.get(name);
    if (owner !== undefined && owner !== id) {
      throw alreadyExists(`name "${name}" is reserved for "${owner}"`);
    }
    this.byName.set(name, id);
  }

  /** Frees `name`; releasing an unknown name is a no-op. */
  release(name: string): void {
    this.byName.delete(name);
  }

  get(name: string): string | undefined {
    return this.byName.get(name);
  }
}

/**
 * A pod is named by its metadata, joined as containerd does:
 * name_namespace_uid_attempt (Kubernetes names and uids contain no "_").
 */
export function podName(m: PodSandboxMetadata): string {
  return [m.name, m.namespace, m.uid, m.attempt].join('_');
}

/** A container's name is unique within its pod: name_podid_attempt. */
export function containerName(m: ContainerMetadata, podSandboxId: string): string {
  return [m.name, podSandboxId, m.attempt].join('_');
}
