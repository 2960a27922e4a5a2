import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError } from '../cli/flags';
import { DEFAULT_CONFIG, loadConfig } from './config';

describe('cri/config', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsvisor-cri-config-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };

  it('has the documented defaults', () => {
    const c = loadConfig([]);
    assert.deepStrictEqual(c, {
      socket: '/run/tsvisor/cri.sock',
      root: '/var/lib/tsvisor',
      stateDir: '/run/tsvisor',
      upstream: null,
      handlers: ['gvisor'],
      streaming: { address: '127.0.0.1', port: 0 },
      cni: { confDir: '/etc/cni/net.d', binDirs: ['/opt/cni/bin', '/usr/lib/cni'] },
      cgroupParent: '/tsvisor',
      logLevel: 'info',
      network: 'sandbox',
      hostNetworkPods: 'allow',
      insecureRegistries: [],
      registryCaFile: null,
      registryMirrors: {},
    });
    c.handlers.push('x');
    c.cni.binDirs.push('/x');
    assert.deepStrictEqual(DEFAULT_CONFIG.handlers, ['gvisor'], 'defaults are copied, not shared');
    assert.deepStrictEqual(loadConfig([]).cni.binDirs, ['/opt/cni/bin', '/usr/lib/cni']);
  });

  it('reads every key from YAML, and flags override the file', () => {
    const cfg = file(
      'all.yaml',
      [
        'socket: /tmp/a.sock',
        'root: /srv/ts',
        'stateDir: /run/ts2',
        'upstream: /run/containerd/containerd.sock',
        'handlers: [gvisor, tsvisor]',
        'streaming: {address: 0.0.0.0, port: 10010}',
        'cni:',
        '  confDir: /etc/cni/x',
        '  binDirs: [/opt/a, /opt/b]',
        'cgroupParent: /kubepods',
        'logLevel: debug',
        'network: none',
        'hostNetworkPods: refuse',
        'insecureRegistries: ["127.0.0.1:5000"]',
        'registryCaFile: /etc/ca.pem',
        'registryMirrors: {registry.k8s.io: "http://127.0.0.1:5000", docker.io: "https://mirror.example:8443/"}',
      ].join('\n'),
    );
    assert.deepStrictEqual(loadConfig(['--config', cfg]), {
      socket: '/tmp/a.sock',
      root: '/srv/ts',
      stateDir: '/run/ts2',
      upstream: 'unix:///run/containerd/containerd.sock',
      handlers: ['gvisor', 'tsvisor'],
      streaming: { address: '0.0.0.0', port: 10010 },
      cni: { confDir: '/etc/cni/x', binDirs: ['/opt/a', '/opt/b'] },
      cgroupParent: '/kubepods',
      logLevel: 'debug',
      network: 'none',
      hostNetworkPods: 'refuse',
      insecureRegistries: ['127.0.0.1:5000'],
      registryCaFile: '/etc/ca.pem',
      registryMirrors: { 'registry.k8s.io': 'http://127.0.0.1:5000', 'docker.io': 'https://mirror.example:8443/' },
    });
    const c = loadConfig([
      `--config=${cfg}`,
      '--socket=/tmp/b.sock',
      '--handlers', 'runsc,gvisor',
      '--upstream', 'unix:///x/y.sock',
      '--streaming-port', '0',
      '--cni-bin-dirs', '/c,/d',
      '--log-level', 'warn',
      '--insecure-registries', 'localhost:5000,reg:443',
      '--registry-mirror', 'registry.k8s.io=http://127.0.0.1:5001, gcr.io=http://127.0.0.1:5001',
    ]);
    assert.strictEqual(c.socket, '/tmp/b.sock');
    assert.deepStrictEqual(c.handlers, ['runsc', 'gvisor']);
    assert.strictEqual(c.upstream, 'unix:///x/y.sock');
    assert.strictEqual(c.streaming.port, 0);
    assert.strictEqual(c.streaming.address, '0.0.0.0', 'keys without a flag on the command line keep the file value');
    assert.deepStrictEqual(c.cni.binDirs, ['/c', '/d']);
    assert.strictEqual(c.logLevel, 'warn');
    assert.deepStrictEqual(c.insecureRegistries, ['localhost:5000', 'reg:443']);
    assert.deepStrictEqual(c.registryMirrors, { 'registry.k8s.io': 'http://127.0.0.1:5001', 'gcr.io': 'http://127.0.0.1:5001' }, 'the flag replaces the file\'s mapping');
  });

  it('accepts an empty file', () => {
    assert.deepStrictEqual(loadConfig(['--config', file('empty.yaml', '')]), loadConfig([]));
  });

  const rejects = (args: string[], message: RegExp) => assert.throws(() => loadConfig(args), (e: unknown) => e instanceof UsageError && message.test(e.message));

  it('rejects unknown keys, naming them', () => {
    rejects(['--config', file('u1.yaml', 'sockett: /x')], /u1\.yaml: unknown key "sockett"/);
    rejects(['--config', file('u2.yaml', 'cni: {confdir: /x}')], /unknown key "cni\.confdir"/);
  });

  it('rejects wrong types and values, naming the key', () => {
    rejects(['--config', file('t1.yaml', 'socket: 5')], /t1\.yaml: socket: expected a non-empty string/);
    rejects(['--config', file('t2.yaml', 'handlers: {a: 1}')], /handlers: expected a list of non-empty strings/);
    rejects(['--config', file('t3.yaml', 'streaming: {port: 70000}')], /streaming\.port: expected a port number/);
    rejects(['--config', file('t4.yaml', 'streaming: 3')], /streaming: expected a mapping/);
    rejects(['--config', file('t5.yaml', 'logLevel: loud')], /logLevel: expected one of error, warn, info, debug, got "loud"/);
    rejects(['--config', file('t6.yaml', 'root: relative/dir')], /root: expected an absolute path/);
    rejects(['--config', file('t7.yaml', '- a\n- b')], /expected a mapping of settings/);
    rejects(['--config', file('t8.yaml', 'socket: [')], /invalid YAML/);
    rejects(['--handlers', ','], /--handlers: at least one runtime handler/);
    rejects(['--streaming-port', 'http'], /--streaming-port: expected a port number/);
    rejects(['--upstream', 'unix://relative.sock'], /--upstream: expected unix:\/\/\/absolute\/path/);
    rejects(['--config', path.join(dir, 'missing.yaml')], /cannot read config .*missing\.yaml/);
    rejects(['--sockett', '/x'], /unknown flag: --sockett/);
    rejects(['--registry-mirror', 'registry.k8s.io'], /--registry-mirror: expected HOST=URL, got "registry\.k8s\.io"/);
    rejects(['--registry-mirror', '=http://x'], /--registry-mirror: expected HOST=URL/);
    rejects(['--registry-mirror', 'gcr.io=ftp://x'], /--registry-mirror: invalid registry mirror URL "ftp:\/\/x": unsupported scheme ftp/);
    rejects(['--registry-mirror', 'gcr.io=http://x/v2'], /a path, query or fragment is not supported/);
    rejects(['--registry-mirror', 'gcr.io=http://u:p@x'], /credentials do not belong in the URL/);
    rejects(['--registry-mirror', 'gcr.io=127.0.0.1:5000'], /expected http:\/\/HOST\[:PORT\] or https:/);
    rejects(['--config', file('m1.yaml', 'registryMirrors: [a]')], /registryMirrors: expected a mapping of registry host to mirror URL/);
    rejects(['--config', file('m2.yaml', 'registryMirrors: {gcr.io: 5}')], /registryMirrors: gcr\.io: expected a non-empty string/);
    rejects(['--config', file('m3.yaml', 'registryMirrors: {"a/b": "http://x"}')], /invalid mirrored registry host "a\/b"/);
    rejects(['--network', 'cni'], /--network: expected one of sandbox, none, host, got "cni"/);
    rejects(['--host-network-pods', 'yes'], /--host-network-pods: expected one of allow, refuse, got "yes"/);
    rejects(['extra'], /unexpected argument: extra/);
  });
});
