import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import { PACKAGE, decode, defaults, encode, root, serviceMethods } from './codec';
import { generateTypes, TYPES_PATH } from './gen-types';
import { PodSandboxState } from './types';

/** The Kubernetes CRI API in the Go module cache scripts/setup-cri-deps.sh fills (cri-tools depends on it). */
const MOD_DIR = path.join(process.env.TSVISOR_TEST_CACHE || '/var/cache/tsvisor-test', 'go/pkg/mod/k8s.io');

function referenceProto(): string {
  const dirs = fs.existsSync(MOD_DIR) ? fs.readdirSync(MOD_DIR).filter((d) => d.startsWith('cri-api@v0.34.')) : [];
  assert.ok(dirs.length > 0, `k8s.io/cri-api v0.34 not found under ${MOD_DIR} (run scripts/setup-cri-deps.sh)`);
  return path.join(MOD_DIR, dirs.sort().at(-1)!, 'pkg/apis/runtime/v1/api.proto');
}

/** Every fact that matters on the wire, as comparable text lines. */
function wireFacts(r: protobuf.Root): string[] {
  const facts: string[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) {
        for (const f of obj.fieldsArray) {
          const key = f instanceof protobuf.MapField ? `map<${f.keyType}>` : f.repeated ? 'repeated' : '';
          facts.push(`${obj.fullName}.${f.name} = ${f.id} ${key} ${f.resolvedType?.fullName ?? f.type}`);
        }
        if (obj.fieldsArray.length === 0) facts.push(`${obj.fullName} {}`);
      } else if (obj instanceof protobuf.Enum) {
        for (const [name, value] of Object.entries(obj.values)) facts.push(`${obj.fullName}.${name} = ${value}`);
      } else if (obj instanceof protobuf.Service) {
        for (const m of obj.methodsArray) {
          facts.push(`${obj.fullName}.${m.name}(${m.requestStream ? 'stream ' : ''}${m.requestType}) ${m.responseStream ? 'stream ' : ''}${m.responseType}`);
        }
      }
      if (obj instanceof protobuf.Namespace) walk(obj);
    }
  };
  walk(r);
  return facts.sort();
}

describe('cri/proto', () => {
  it('is wire-compatible with the Kubernetes CRI v1 api.proto: same messages, fields, numbers, enums and RPCs', () => {
    const ref = new protobuf.Root().loadSync(referenceProto(), { keepCase: true });
    ref.resolveAll();
    const ours = wireFacts(root);
    assert.ok(ours.length > 500, `only ${ours.length} facts`);
    assert.deepStrictEqual(ours, wireFacts(ref));
  });

  it('lists every RPC of both services with its gRPC path', () => {
    const runtime = serviceMethods('RuntimeService');
    const images = serviceMethods('ImageService');
    assert.strictEqual(runtime.length, 30);
    assert.deepStrictEqual(
      images.map((m) => m.path),
      ['ListImages', 'ImageStatus', 'PullImage', 'RemoveImage', 'ImageFsInfo'].map((n) => `/runtime.v1.ImageService/${n}`),
    );
    const events = runtime.find((m) => m.name === 'GetContainerEvents');
    assert.deepStrictEqual(events, {
      service: 'RuntimeService',
      name: 'GetContainerEvents',
      path: '/runtime.v1.RuntimeService/GetContainerEvents',
      requestType: 'GetEventsRequest',
      responseType: 'ContainerEventResponse',
      responseStream: true,
    });
  });

  it('decodes with every field present: defaults, null messages, empty maps and lists', () => {
    const status = defaults('PodSandboxStatus');
    assert.strictEqual(status.id, '');
    assert.strictEqual(status.created_at, '0');
    assert.strictEqual(status.state, PodSandboxState.SANDBOX_READY);
    assert.strictEqual(status.metadata, null);
    assert.deepStrictEqual(status.labels, {});
    assert.deepStrictEqual(defaults('PodSandboxNetworkStatus').additional_ips, []);
  });

  it('encodes 64-bit integers from decimal strings without losing precision', () => {
    const max = '9223372036854775807';
    const bytes = encode('PodSandboxStatus', { ...defaults('PodSandboxStatus'), id: 'p', created_at: max, state: PodSandboxState.SANDBOX_NOTREADY });
    // Field 4 (created_at), varint: tag 0x20 then the 9-byte varint of 2^63-1.
    assert.ok(bytes.includes(Buffer.from([0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])));
    const back = decode('PodSandboxStatus', bytes);
    assert.strictEqual(back.created_at, max);
    assert.strictEqual(back.state, PodSandboxState.SANDBOX_NOTREADY);
    assert.strictEqual(decode('UInt64Value', encode('UInt64Value', { value: '18446744073709551615' })).value, '18446744073709551615');
  });

  it('rejects malformed bytes', () => {
    assert.throws(() => decode('RunPodSandboxRequest', Buffer.from([0x0a, 0x05, 0x01])), /index out of range|invalid/);
  });

  it('types.ts is generated from api.proto and up to date', () => {
    assert.strictEqual(fs.readFileSync(TYPES_PATH, 'utf8'), generateTypes(), 'run: node dist/cri/proto/gen-types.js');
  });

  it(`every message of ${PACKAGE} has a type`, () => {
    const text = fs.readFileSync(TYPES_PATH, 'utf8');
    for (const name of ['RunPodSandboxRequest', 'ContainerStatus', 'SecurityProfile_ProfileType', 'Messages']) {
      assert.match(text, new RegExp(`export (interface|enum|type) ${name}\\b`));
    }
  });
});
