/**
 * The installer's entry point (`node dist/deploy/installer/main.js COMMAND`).
 *
 *   run         the DaemonSet's container: install, report ready, and on
 *               SIGTERM (the DaemonSet deleted) restore the node, then exit
 *   install     install once and exit (a node without Kubernetes: no label)
 *   uninstall   restore the node once and exit
 *   pre-delete  the chart's pre-delete hook: delete the DaemonSet and wait
 *               until its pods, which restore their nodes, are gone; it runs
 *               while the RBAC they need to unlabel the node still exists
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseFlags, UsageError } from '../../cli/flags';
import { NodeHost } from './host';
import { type InstallerContext, install, uninstall } from './installer';
import { inClusterConnection, Kube } from './kube';
import { parseSettings } from './settings';

const USAGE = `usage: installer run|install|uninstall [--settings FILE] [--cri-config FILE]
       installer pre-delete --namespace NS --daemonset NAME --selector LABELS [--timeout SEC]

  --settings FILE     installer settings (default /etc/tsvisor-installer/installer.yaml)
  --cri-config FILE   tsvisor cri configuration for the node (default /etc/tsvisor-installer/cri.yaml)
Environment: NODE_NAME (the pod's node, from the downward API) enables the node label and handler check.
`;

/** dist/deploy/installer → the tree this installer runs from, which it installs. */
const TREE = path.resolve(__dirname, '../../..');
const READY_FILE = '/tmp/tsvisor-installer-ready';

const log = (msg: string) => process.stdout.write(`${new Date().toISOString()} ${msg}\n`);

function context(flags: Map<string, string | true>): InstallerContext {
  const settingsFile = String(flags.get('settings') ?? '/etc/tsvisor-installer/installer.yaml');
  const criFile = String(flags.get('cri-config') ?? '/etc/tsvisor-installer/cri.yaml');
  const settings = parseSettings(fs.readFileSync(settingsFile, 'utf8'), settingsFile);
  const nodeName = process.env.NODE_NAME;
  return {
    settings,
    host: new NodeHost(settings.hostRoot, settings.namespacesOf),
    tree: TREE,
    node: process.execPath,
    criConfig: fs.readFileSync(criFile, 'utf8'),
    cluster: nodeName ? { api: new Kube(inClusterConnection()), nodeName } : null,
    log,
  };
}

/** Installs, then waits for SIGTERM/SIGINT and restores the node. A failed install is undone before exiting 1. */
async function run(c: InstallerContext): Promise<number> {
  let signalled: () => void = () => undefined;
  const terminated = new Promise<void>((resolve) => (signalled = resolve));
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => signalled());
  let status = 0;
  try {
    await install(c);
    fs.writeFileSync(READY_FILE, 'ready\n');
    log('installed; waiting for SIGTERM to uninstall');
    const keepAlive = setInterval(() => undefined, 1 << 30); // a pending promise alone lets Node exit
    await terminated;
    clearInterval(keepAlive);
    log('SIGTERM: restoring the node');
    fs.rmSync(READY_FILE, { force: true });
  } catch (e) {
    log(`install failed: ${(e as Error).message}; restoring the node`);
    status = 1;
  }
  await uninstall(c);
  return status;
}

async function preDelete(flags: Map<string, string | true>): Promise<void> {
  const need = (k: string): string => {
    const v = flags.get(k);
    if (typeof v !== 'string' || v === '') throw new UsageError(`--${k} is required`);
    return v;
  };
  const [namespace, daemonset, selector] = [need('namespace'), need('daemonset'), need('selector')];
  const timeoutSec = Number(flags.get('timeout') ?? 300);
  if (!Number.isInteger(timeoutSec) || timeoutSec < 1) throw new UsageError('--timeout: expected whole seconds');
  const kube = new Kube(inClusterConnection());
  await kube.deleteDaemonSet(namespace, daemonset);
  log(`daemonset ${namespace}/${daemonset} deleted; waiting for its pods to restore their nodes`);
  for (const deadline = Date.now() + timeoutSec * 1000; ; ) {
    const left = await kube.pods(namespace, selector);
    if (left.length === 0) break;
    if (Date.now() > deadline) throw new Error(`pods still running after ${timeoutSec} s: ${left.join(', ')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  log('every installer pod is gone');
}

export async function main(args: readonly string[]): Promise<number> {
  const [command, ...flagArgs] = args;
  if (command === undefined || command === '--help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const { flags, rest } = parseFlags(flagArgs, {
    boolean: new Set(),
    valued: new Set(['settings', 'cri-config', 'namespace', 'daemonset', 'selector', 'timeout']),
  });
  if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest[0]}`);
  switch (command) {
    case 'run':
      return run(context(flags));
    case 'install':
      await install(context(flags));
      return 0;
    case 'uninstall':
      await uninstall(context(flags));
      return 0;
    case 'pre-delete':
      await preDelete(flags);
      return 0;
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const usage = e instanceof UsageError;
      process.stderr.write(`installer: ${e instanceof Error ? e.message : String(e)}\n${usage ? USAGE : ''}`);
      process.exit(usage ? 2 : 1);
    },
  );
}
