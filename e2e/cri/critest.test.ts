/**
 * Issue 4, acceptance 2: critest (cri-tools v1.34.0) against `tsvisor cri`
 * with runtime handler gvisor, images from the local registry through
 * registry mirrors for registry.k8s.io and gcr.io.
 *
 * The outcome must match critest-expected.ts exactly: every spec not listed
 * passes (or is skipped by critest itself), every listed spec fails. A
 * regression fails the test, and so does a fix that leaves a stale entry;
 * specs listed as unstable may go either way.
 *
 * `npm test` runs the whole suite. TSVISOR_CRITEST_FOCUS=REGEX runs only the
 * matching specs (ginkgo -focus), for iterating; the expectation is then
 * checked on the specs that ran.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CRITEST_MIRRORED_REGISTRIES, CRITEST_SKIP, critestImagesYaml } from '../images/critest';
import { freshDir } from '../syscalls/harness';
import { CRITEST_KNOWN_FAILURES, CRITEST_OUT_OF_SCOPE, CRITEST_UNSTABLE } from './critest-expected';
import { cniConflist, crictl, CriServer, PushedRegistry, run, startCriServer, withPushedImages } from './harness';
import { critestPath } from './tools';

/** One spec of ginkgo's JSON report (the fields used here). */
interface SpecReport {
  ContainerHierarchyTexts: string[] | null;
  LeafNodeText: string;
  LeafNodeType: string;
  State: string;
  Failure?: { Message: string };
}

/** The name critest-expected.ts uses: the container texts and the spec's text, space-separated, as ginkgo prints them. */
const specName = (s: SpecReport): string => [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText].join(' ');

/** A regular expression matching exactly `text` inside ginkgo's full spec text. */
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const SUITE_TIMEOUT_S = 1500;
/** A floor against a suite that silently stops running (e.g. every spec skipped). */
const MIN_PASSED = 50;

describe('critest against tsvisor cri (gvisor handler)', function () {
  this.timeout((SUITE_TIMEOUT_S + 300) * 1000);
  let reg: PushedRegistry;
  let cri: CriServer;
  let dir: string;

  before(async () => {
    dir = freshDir('critest');
    const netDir = path.join(dir, 'net.d');
    fs.mkdirSync(netDir);
    const slot = process.pid % 200;
    fs.writeFileSync(path.join(netDir, '10-tsvisor.conflist'), cniConflist('tsvisor-critest', `tsvct${slot}`, `10.236.${slot}.0/24`, path.join(dir, 'ipam')));
    reg = await withPushedImages();
    const mirrors = CRITEST_MIRRORED_REGISTRIES.map((r) => `${r}=http://${reg.host}`).join(',');
    cri = await startCriServer({ args: ['--cni-conf-dir', netDir, '--registry-mirror', mirrors] });
  });

  after(async () => {
    // Pods outlive their server by design (a restarted server reconnects): remove what critest left.
    if (cri) await crictl(cri, ['rmp', '-fa']);
    await cri?.stop();
    await reg?.stop();
    await run('ip', ['link', 'delete', `tsvct${process.pid % 200}`]); // CNI leaves its bridge after the last pod
  });

  it('passes every spec except the known failures, each of which still fails', async () => {
    const images = path.join(dir, 'images.yaml');
    fs.writeFileSync(images, critestImagesYaml());
    const report = path.join(dir, 'report.json');
    const skip = [...CRITEST_SKIP, ...Object.keys(CRITEST_OUT_OF_SCOPE)].map((s) => `-ginkgo.skip=${literal(s)}`);
    const focus = process.env.TSVISOR_CRITEST_FOCUS ? [`-ginkgo.focus=${process.env.TSVISOR_CRITEST_FOCUS}`] : [];
    const r = await run(
      critestPath(),
      [
        '-runtime-endpoint', cri.endpoint, '-image-endpoint', cri.endpoint, '-runtime-handler=gvisor',
        '-test-images-file', images, '-config', '/dev/null',
        '-ginkgo.no-color', `-ginkgo.json-report=${report}`, `-ginkgo.timeout=${SUITE_TIMEOUT_S}s`, ...skip, ...focus,
      ],
      { timeoutSec: SUITE_TIMEOUT_S + 120 },
    );
    assert.ok(fs.existsSync(report), `critest wrote no report (exit ${r.code}):\n${r.stdout.slice(-4000)}${r.stderr.slice(-4000)}`);
    const specs = (JSON.parse(fs.readFileSync(report, 'utf8')) as { SpecReports: SpecReport[] }[])[0].SpecReports.filter((s) => s.LeafNodeType === 'It');
    const failed = specs.filter((s) => s.State !== 'passed' && s.State !== 'skipped');
    const ran = new Set(specs.filter((s) => s.State !== 'skipped').map(specName));
    const unexpected = failed.filter((s) => !(specName(s) in CRITEST_KNOWN_FAILURES) && !(specName(s) in CRITEST_UNSTABLE)).map((s) => `${specName(s)} [${s.State}]\n    ${(s.Failure?.Message ?? '').slice(0, 600)}`);
    const nowPassing = Object.keys(CRITEST_KNOWN_FAILURES).filter((n) => ran.has(n) && !failed.some((s) => specName(s) === n));
    const counts = ['passed', 'failed', 'skipped'].map((st) => `${specs.filter((s) => s.State === st).length} ${st}`).join(', ');
    const unstable = specs
      .filter((s) => specName(s) in CRITEST_UNSTABLE)
      .map((s) => `${s.State}: ${specName(s)}${s.State === 'passed' ? '' : `\n                  ${(s.Failure?.Message ?? '').slice(0, 300)}`}`);
    console.log(`      critest: ${counts}${unstable.length > 0 ? `\n      unstable: ${unstable.join('\n                ')}` : ''}`);
    assert.deepEqual({ unexpected, nowPassing }, { unexpected: [], nowPassing: [] }, `critest: ${counts}\n--- server log (tail) ---\n${cri.log().slice(-4000)}`);
    if (focus.length === 0) {
      // The whole suite ran: every known failure and every out-of-scope skip must still name a spec.
      const names = new Set(specs.map(specName));
      const listed = [CRITEST_KNOWN_FAILURES, CRITEST_UNSTABLE, CRITEST_OUT_OF_SCOPE].flatMap((m) => Object.keys(m));
      const stale = listed.filter((n) => !names.has(n));
      assert.deepEqual(stale, [], 'entries of critest-expected.ts that name no critest spec');
      assert.ok(specs.filter((s) => s.State === 'passed').length >= MIN_PASSED, `critest: ${counts}`);
    }
  });
});
