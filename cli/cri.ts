/**
 * `tsvisor cri`: kubelet's runtime endpoint. Builds the configuration, starts
 * the CRI server with the local runtime and image store, and shuts down
 * gracefully on SIGTERM/SIGINT (a second signal exits at once).
 */
import { CRI_USAGE, loadConfig, type CriConfig } from '../cri/config';
import type { LocalImages, LocalRuntime } from '../cri/server/backend';
import { createLogger } from '../cri/server/log';
import { startCriServer } from '../cri/server/server';
import { UsageError } from './flags';

export { CRI_USAGE };

export interface Backends {
  runtime: LocalRuntime;
  images: LocalImages;
}

/** The tsvisor runtime and image store (cri/runtime, cri/image) for `config`. */
function localBackends(config: CriConfig): Backends {
  const { tsvisorBackends } = require('../cri/runtime/backends') as typeof import('../cri/runtime/backends');
  const log = createLogger(config.logLevel);
  return tsvisorBackends(config, (msg) => log.info(msg));
}

/** Serves until SIGTERM/SIGINT; `makeBackends` lets tests run the server on fakes. */
export async function serveCri(args: readonly string[], makeBackends: (config: CriConfig) => Backends): Promise<void> {
  try {
    const config = loadConfig(args);
    const log = createLogger(config.logLevel);
    process.on('unhandledRejection', (reason) => {
      log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
    });
    const server = await startCriServer(config, { ...makeBackends(config), log });
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      stopping = true;
      log.info(`${signal}: shutting down`);
      void server.close().then(() => process.exit(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tsvisor cri: ${e.message} (see 'tsvisor cri --help')\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`tsvisor cri: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}

export function criCommand(args: readonly string[]): void {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: ${CRI_USAGE}`);
    return;
  }
  void serveCri(args, localBackends);
}
