import * as assert from 'node:assert/strict';
import { formatReference, parseReference, registryHost } from './reference';

describe('cri/image references', () => {
  const D = `sha256:${'a'.repeat(64)}`;
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
    ['user/app', 'docker.io/user/app:latest'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b/c', 'localhost:5000/a/b/c:latest'],
    ['127.0.0.1:5000/tsvisor-test/busybox:1.0', '127.0.0.1:5000/tsvisor-test/busybox:1.0'],
    ['[::1]:5000/x', '[::1]:5000/x:latest'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`quay.io/a/b:t@${D}`, `quay.io/a/b:t@${D}`],
    ['a__b/c.d-e--f:T_1.x', 'docker.io/a__b/c.d-e--f:T_1.x'],
  ];
  for (const [ref, want] of cases) {
    it(`normalizes ${ref}`, () => assert.equal(formatReference(parseReference(ref)), want));
  }

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['Busybox', /must be lowercase/],
    ['a/B', /must be lowercase/],
    ['a:b:c', /invalid path component "a:b"/],
    ['a/-b', /invalid path component "-b"/],
    ['a//b', /invalid path component ""/],
    ['a:-x', /invalid tag "-x"/],
    [`a:${'t'.repeat(129)}`, /invalid tag/],
    ['a@sha256:abc', /digest must be sha256/],
    [`a@sha512:${'a'.repeat(128)}`, /digest must be sha256/],
    [`${'a'.repeat(256)}`, /longer than 255/],
    ['host:port/x', /invalid registry host/],
  ];
  for (const [ref, msg] of bad) {
    it(`refuses ${JSON.stringify(ref.slice(0, 40))}`, () => assert.throws(() => parseReference(ref), (e: Error) => e.name === 'PullError' && msg.test(e.message)));
  }

  it('sends Docker Hub requests to registry-1.docker.io', () => {
    assert.equal(registryHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryHost('localhost:5000'), 'localhost:5000');
  });
});
