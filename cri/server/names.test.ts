import * as assert from 'assert';
import { status } from '@grpc/grpc-js';
import { defaults } from '../proto/codec';
import { CriError } from './errors';
import { containerName, NameIndex, podName } from './names';

describe('cri/server/names', () => {
  it('gives a name to one id at a time', () => {
    const names = new NameIndex();
    names.reserve('web_default_u1_0', 'id1');
    names.reserve('web_default_u1_0', 'id1'); // the same pair again: a retry
    assert.throws(
      () => names.reserve('web_default_u1_0', 'id2'),
      (e: unknown) => e instanceof CriError && e.code === status.ALREADY_EXISTS && e.message === 'name "web_default_u1_0" is reserved for "id1"',
    );
    assert.strictEqual(names.get('web_default_u1_0'), 'id1');
    names.release('web_default_u1_0');
    names.release('never-reserved');
    assert.strictEqual(names.get('web_default_u1_0'), undefined);
    names.reserve('web_default_u1_0', 'id2');
    assert.strictEqual(names.get('web_default_u1_0'), 'id2');
  });

  it('names pods by name, namespace, uid and attempt, and containers within their pod', () => {
    const pod = { ...defaults('PodSandboxMetadata'), name: 'web', namespace: 'default', uid: 'u1', attempt: 3 };
    assert.strictEqual(podName(pod), 'web_default_u1_3');
    assert.notStrictEqual(podName(pod), podName({ ...pod, attempt: 4 }));
    const c = { ...defaults('ContainerMetadata'), name: 'app', attempt: 1 };
    assert.strictEqual(containerName(c, 'p1'), 'app_p1_1');
    assert.notStrictEqual(containerName(c, 'p1'), containerName(c, 'p2'));
  });
});
