import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { CriError } from '../server/errors';
import { RecordStore, RECORD_VERSION } from './store';

interface Rec {
  version: number;
  id: string;
  n: number;
}

describe('cri/runtime RecordStore', () => {
  let dir: string;
  let warnings: string[];
  const open = () => new RecordStore<Rec>(dir, 'rec.json', 'thing');
  const loaded = () => {
    const s = open();
    s.load((m) => warnings.push(m));
    return s;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'records-'));
    warnings = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('saves atomically and loads what was saved', () => {
    const s = open();
    s.save({ version: RECORD_VERSION, id: 'aa11', n: 1 });
    s.update('aa11', (r) => (r.n = 2));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'aa11')), ['rec.json']);
    assert.deepEqual([...loaded().records.values()], [{ version: RECORD_VERSION, id: 'aa11', n: 2 }]);
    assert.deepEqual(warnings, []);
  });

  it('update changes the in-memory record only once it is on disk', () => {
    const s = open();
    s.save({ version: RECORD_VERSION, id: 'aa11', n: 1 });
    // The write fails (a directory where the temp file goes; root ignores permissions).
    fs.mkdirSync(path.join(dir, 'aa11', 'rec.json.tmp'));
    assert.throws(() => s.update('aa11', (r) => (r.n = 2)), /EISDIR/);
    assert.equal(s.records.get('aa11')?.n, 1);
  });

  it('finds by full id or unique prefix; a prefix of several is INVALID_ARGUMENT', () => {
    const s = open();
    for (const id of ['ab12', 'ab34', 'cd56']) s.save({ version: RECORD_VERSION, id, n: 0 });
    assert.equal(s.find('cd')?.id, 'cd56');
    assert.equal(s.find('ab12')?.id, 'ab12');
    assert.equal(s.find('ef'), undefined);
    assert.equal(s.find(''), undefined);
    assert.throws(() => s.find('ab'), (e: unknown) => e instanceof CriError && e.code === status.INVALID_ARGUMENT && e.message === 'thing id prefix "ab" is ambiguous (it matches 2)');
  });

  it('load: a directory holding only the temp file of a first save is removed; a stale temp file beside a record is dropped', () => {
    fs.mkdirSync(path.join(dir, 'half'));
    fs.writeFileSync(path.join(dir, 'half', 'rec.json.tmp'), '{"vers');
    fs.mkdirSync(path.join(dir, 'empty'));
    const s = open();
    s.save({ version: RECORD_VERSION, id: 'good', n: 7 });
    fs.writeFileSync(path.join(dir, 'good', 'rec.json.tmp'), '{"version":1,"id":"good","n":8}');
    const l = loaded();
    assert.deepEqual([...l.records.keys()], ['good']);
    assert.equal(l.records.get('good')?.n, 7);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['good']);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'good')), ['rec.json']);
    assert.deepEqual(warnings.sort(), [
      `removing ${path.join(dir, 'empty')}: its first record was never completely written`,
      `removing ${path.join(dir, 'half')}: its first record was never completely written`,
    ]);
  });

  it('delete removes the directory; a deletion cut short after its rename is finished by the next load', () => {
    const s = open();
    s.save({ version: RECORD_VERSION, id: 'gone', n: 1 });
    fs.writeFileSync(path.join(dir, 'gone', 'hosts'), '');
    s.delete('gone');
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.equal(s.records.size, 0);
    s.delete('gone'); // again: nothing to do
    // A server killed while removing a pod's files: the record went first, /etc/hosts stayed.
    fs.mkdirSync(path.join(dir, '.deleting-cut'));
    fs.writeFileSync(path.join(dir, '.deleting-cut', 'hosts'), '');
    s.save({ version: RECORD_VERSION, id: 'kept', n: 2 });
    const l = loaded();
    assert.deepEqual([...l.records.keys()], ['kept']);
    assert.deepEqual(fs.readdirSync(dir), ['kept']);
    assert.deepEqual(warnings, []);
  });

  it('load: corrupt, foreign-version and misplaced records and stray files are skipped with a warning, never fatal', () => {
    const put = (id: string, text: string) => {
      fs.mkdirSync(path.join(dir, id));
      fs.writeFileSync(path.join(dir, id, 'rec.json'), text);
    };
    put('corrupt', '{"version":');
    put('future', JSON.stringify({ version: RECORD_VERSION + 1, id: 'future', n: 0 }));
    put('moved', JSON.stringify({ version: RECORD_VERSION, id: 'other', n: 0 }));
    fs.writeFileSync(path.join(dir, 'stray'), 'x');
    // Kept for someone to look at: they may name resources.
    put('withfiles', '');
    fs.writeFileSync(path.join(dir, 'withfiles', 'hosts'), '');
    const l = loaded();
    assert.equal(l.records.size, 0);
    assert.deepEqual(warnings.map((w) => w.split(':')[0]).sort(), ['corrupt', 'future', 'moved', 'stray', 'withfiles'].map((id) => `skipping record ${path.join(dir, id, 'rec.json')}`));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['corrupt', 'future', 'moved', 'stray', 'withfiles']);
  });
});
