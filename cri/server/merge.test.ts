import * as assert from 'assert';
import { defaults } from '../proto/codec';
import type * as t from '../proto/types';
import { mergeDescriptors, mergeImages, mergeStatus } from './merge';

const cond = (type: string, ok: boolean, reason = '', message = ''): t.RuntimeCondition => ({ type, status: ok, reason, message });
const status = (conditions: t.RuntimeCondition[], extra: Partial<t.StatusResponse> = {}): t.StatusResponse => ({
  ...defaults('StatusResponse'),
  status: { conditions },
  ...extra,
});

describe('cri/server/merge', () => {
  it('Status: a condition holds only when it holds on both sides; handlers of both are listed', () => {
    const local = status([cond('RuntimeReady', true), cond('NetworkReady', true)], { info: { config: '{}' } });
    const upstream = status([cond('RuntimeReady', true), cond('NetworkReady', false, 'NetworkPluginNotReady', 'cni config uninitialized')], {
      info: { config: '{"x":1}', golang: 'go1.19' },
      runtime_handlers: [
        { name: '', features: { recursive_read_only_mounts: true, user_namespaces: true } },
        { name: 'runc', features: { recursive_read_only_mounts: true, user_namespaces: true } },
        { name: 'gvisor', features: { recursive_read_only_mounts: true, user_namespaces: true } },
      ],
    });
    assert.deepStrictEqual(mergeStatus(['gvisor'], local, upstream), {
      status: {
        conditions: [cond('RuntimeReady', true), cond('NetworkReady', false, 'upstream: NetworkPluginNotReady', 'cni config uninitialized')],
      },
      info: { config: '{}', 'upstream.config': '{"x":1}', 'upstream.golang': 'go1.19' },
      runtime_handlers: [
        { name: 'gvisor', features: { recursive_read_only_mounts: true, user_namespaces: false } },
        { name: '', features: { recursive_read_only_mounts: true, user_namespaces: true } },
        { name: 'runc', features: { recursive_read_only_mounts: true, user_namespaces: true } },
      ],
      features: { supplemental_groups_policy: false },
    });
  });

  it('Status without upstream: our conditions, a failing one marked as ours', () => {
    const merged = mergeStatus(['gvisor', 'tsvisor'], status([cond('RuntimeReady', true), cond('NetworkReady', false, 'NoCNIConfig', 'none in /etc/cni/net.d')]), null);
    assert.deepStrictEqual(merged.status?.conditions, [cond('RuntimeReady', true), cond('NetworkReady', false, 'tsvisor: NoCNIConfig', 'none in /etc/cni/net.d')]);
    assert.deepStrictEqual(merged.runtime_handlers.map((h) => h.name), ['gvisor', 'tsvisor']);
  });

  it('images once per id, descriptors once per name', () => {
    const img = (id: string, tag: string): t.Image => ({ ...defaults('Image'), id, repo_tags: [tag] });
    assert.deepStrictEqual(mergeImages([img('sha256:a', 'x:1')], [img('sha256:a', 'x:1'), img('sha256:b', 'y:1')]), [img('sha256:a', 'x:1'), img('sha256:b', 'y:1')]);
    const d = (name: string, help: string): t.MetricDescriptor => ({ name, help, label_keys: [] });
    assert.deepStrictEqual(mergeDescriptors([d('cpu', 'ours')], [d('cpu', 'theirs'), d('mem', 'theirs')]), [d('cpu', 'ours'), d('mem', 'theirs')]);
  });
});
