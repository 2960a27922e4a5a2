/** Real interpreters and tools (Debian's, by absolute path) inside the sandbox. */
import { sameAsNative } from './compare';
import { fixtureTree } from './fixtures';
import { checkNoLeaks } from './harness';

const PY = '/usr/bin/python3';

describe('e2e: interpreters and tools', function () {
  checkNoLeaks();

  it('python3 json', () => {
    const code = 'import json; print(json.dumps({"b": [1, 2.5, None], "a": "\\u00e9"}, sort_keys=True))';
    sameAsNative([PY, '-c', code], {}, '{"a": "\\u00e9", "b": [1, 2.5, null]}\n');
  });

  it('python3 hashlib', () => {
    sameAsNative([PY, '-c', 'import hashlib; print(hashlib.sha256(b"tsvisor" * 1000).hexdigest())']);
  });

  it('python3: a bytearray grown to 3 MB (realloc by mremap, in place and moved)', () => {
    const code = 'b = bytearray()\nfor i in range(300): b.extend(b"x" * 10000)\nprint(len(b), b.count(b"x"))';
    sameAsNative([PY, '-c', code], {}, '3000000 3000000\n');
  });

  it('python3 re', () => {
    const code = 'import re; print(re.findall(r"(\\w+)=(\\d+)", "a=1, bb=22; c=x, d=4"))';
    sameAsNative([PY, '-c', code], {}, "[('a', '1'), ('bb', '22'), ('d', '4')]\n");
  });

  it('perl -e', () => {
    sameAsNative(['/usr/bin/perl', '-e', 'my %h = (x => 3, y => 4); print join(",", map { "$_=$h{$_}" } sort keys %h), " ", sqrt(16), "\\n"'], {}, 'x=3,y=4 4\n');
  });

  it('sqlite3 :memory:', () => {
    const sql = "create table t(a int, b text); insert into t values (2, 'two'), (1, 'one'); select b, a * 10 from t order by a;";
    sameAsNative(['/usr/bin/sqlite3', ':memory:', sql], {}, 'one|10\ntwo|20\n');
  });

  it('openssl dgst', () => {
    const fx = fixtureTree();
    sameAsNative(['/usr/bin/openssl', 'dgst', '-sha256', fx.words]);
  });

  it('sh arithmetic', () => {
    sameAsNative(['/bin/sh', '-c', 'echo $((6*7))'], {}, '42\n');
  });
});
