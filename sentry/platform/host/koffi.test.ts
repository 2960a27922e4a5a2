import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPrebuilt } from './koffi';

/** The node_modules directory this checkout's koffi is in (Node's resolution of the package). */
const modulesDir = path.resolve(path.dirname(require.resolve('koffi')), '..');
/** That package's version. */
const packageVersion = (JSON.parse(fs.readFileSync(path.join(modulesDir, 'koffi', 'package.json'), 'utf8')) as { version: string }).version;

describe('koffi loader', () => {
  it('takes the prebuilt native module directly: a fresh process gets a working koffi of the package version without loading the package JS', () => {
    const script = `
      const k = require(${JSON.stringify(require.resolve('./koffi'))}).default;
      const js = Object.keys(require.cache).filter((f) => /node_modules\\/(koffi|@koromix)\\/.*\\.c?js$/.test(f));
      const getpid = k.load('libc.so.6').func('int getpid()');
      console.log(JSON.stringify({ version: k.version, js, pid: getpid() === process.pid }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { version: string; js: string[]; pid: boolean };
    assert.deepEqual(out, { version: packageVersion, js: [], pid: true });
  });

  it('declines directories without the package, and a prebuilt whose version is not the package one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsvisor-koffi-'));
    try {
      assert.equal(loadPrebuilt([dir, path.join(dir, 'none')]), undefined);
      fs.mkdirSync(path.join(dir, 'koffi'));
      fs.writeFileSync(path.join(dir, 'koffi', 'package.json'), JSON.stringify({ version: '0.0.1' }));
      fs.symlinkSync(path.join(modulesDir, '@koromix'), path.join(dir, '@koromix'));
      // The first directory with the package decides: a mismatch is not rescued by a later one.
      assert.equal(loadPrebuilt([dir, modulesDir]), undefined);
      assert.equal(loadPrebuilt([modulesDir])?.version, packageVersion);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
