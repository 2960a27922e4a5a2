/** The local side of `tsvisor cri`: the image store and the runtime, recovered from disk. */
import path from 'node:path';
import type { CriConfig } from '../config';
import { ImageStore } from '../image/store';
import type { LocalImages, LocalRuntime } from '../server/backend';
import { TsvisorImages } from './images';
import { TsvisorRuntime } from './service';
import { SandboxStreams } from './stream-runtime';
import { StreamingServer } from '../streaming/server';

export function tsvisorBackends(config: CriConfig, log: (msg: string) => void): { runtime: LocalRuntime; images: LocalImages } {
  const store = new ImageStore({
    root: path.join(config.root, 'images'),
    insecureRegistries: config.insecureRegistries,
    caFile: config.registryCaFile ?? undefined,
    mirrors: config.registryMirrors,
    log,
  });
  const runtime = new TsvisorRuntime({
    root: config.root, stateDir: config.stateDir, handlers: config.handlers, images: store,
    cni: config.cni, cgroupParent: config.cgroupParent, network: config.network, hostNetworkPods: config.hostNetworkPods, log,
  });
  runtime.recover();
  const streaming = new StreamingServer({ address: config.streaming.address, port: config.streaming.port, runtime: new SandboxStreams(runtime.containers, runtime.pods) });
  streaming.start().then(
    () => (runtime.streaming = streaming),
    (e: Error) => log(`streaming server failed to start: ${e.message}; exec, attach and port-forward are unavailable`),
  );
  return { runtime, images: new TsvisorImages(store) };
}
