/**
 * How answers of tsvisor and the upstream runtime combine into one node view.
 */
import type * as t from '../proto/types';

/** Features of tsvisor's handlers: a read-only mount's Gofer refuses writes below it all (cri/runtime/mounts.ts); no user namespaces. */
function localHandler(name: string): t.RuntimeHandler {
  return { name, features: { recursive_read_only_mounts: true, user_namespaces: false } };
}

/**
 * A condition holds only if it holds on both sides; the failing side's reason
 * and message are kept, prefixed with the side. Upstream info keys get an
 * `upstream.` prefix so they never shadow ours.
 */
export function mergeStatus(
  handlers: readonly string[],
  local: t.StatusResponse,
  upstream: t.StatusResponse | null,
): t.StatusResponse {
  const conditions: t.RuntimeCondition[] = (local.status?.conditions ?? []).map((c) => ({
    ...c,
    reason: c.status ? c.reason : `tsvisor: ${c.reason}`,
  }));
  for (const u of upstream?.status?.conditions ?? []) {
    const mine = conditions.find((c) => c.type === u.type);
    if (!mine) conditions.push({ ...u, reason: u.status ? u.reason : `upstream: ${u.reason}` });
    else if (mine.status && !u.status) Object.assign(mine, { status: false, reason: `upstream: ${u.reason}`, message: u.message });
  }
  const runtimeHandlers = handlers.map(localHandler);
  for (const h of upstream?.runtime_handlers ?? []) {
    if (!handlers.includes(h.name)) runtimeHandlers.push(h);
  }
  const info: Record<string, string> = { ...local.info };
  for (const [k, v] of Object.entries(upstream?.info ?? {})) info[`upstream.${k}`] = v;
  // tsvisor does not implement the Strict supplemental-groups policy.
  const features: t.RuntimeFeatures = { supplemental_groups_policy: false };
  return { status: { conditions }, info, runtime_handlers: runtimeHandlers, features };
}

/** Images of both stores, once per image id (ids are config digests on both sides). */
export function mergeImages(local: readonly t.Image[], upstream: readonly t.Image[]): t.Image[] {
  const ids = new Set(local.map((i) => i.id));
  return [...local, ...upstream.filter((i) => !ids.has(i.id))];
}

/** Metric descriptors once per name. */
export function mergeDescriptors(local: readonly t.MetricDescriptor[], upstream: readonly t.MetricDescriptor[]): t.MetricDescriptor[] {
  const names = new Set(local.map((d) => d.name));
  return [...local, ...upstream.filter((d) => !names.has(d.name))];
}
