/**
 * Test-only entry point: `tsvisor cri` with the fake runtime and image store,
 * so e2e tests can drive a real server process with crictl.
 *
 *   node dist/cri/server/testing/fake-cri-main.js [tsvisor cri flags]
 */
import { serveCri } from '../../../cli/cri';
import { FakeImages, FakeRuntime } from '../fake-runtime';

void serveCri(process.argv.slice(2), (config) => ({ runtime: new FakeRuntime(config.handlers), images: new FakeImages() }));
