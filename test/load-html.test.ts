import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderHtml, writeHtml } from '../lib/load/html.ts';
import type { PoolEntry } from '../lib/load/pool.ts';
import { runLoad } from '../lib/load/run.ts';
import type { LoadSummary } from '../lib/load/summary.ts';
import type { VerificationReport } from '../lib/load/verdict.ts';
import { poolRecords, startFakeNotas } from './helpers/load-server.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const CHART_IDS = ['chart-rps', 'chart-failures', 'chart-latency', 'chart-route-latency', 'chart-split', 'chart-users'];

const Html = suite('load html report');
let dir = '';
let reportPath = '';
let failedSummary: LoadSummary;
let cleanSummary: LoadSummary;
let context: BrowserContext | undefined;

function verification(ok: boolean): VerificationReport {
  return {
    ok,
    checks: [
      { name: 'every acknowledged id is in mongodb', ok: true, detail: '190 of 190 found', examples: [] },
      { name: 'no unacknowledged documents', ok, detail: ok ? '190 documents, 0 of them from timed-out requests' : '2 documents nobody acknowledged', examples: ok ? [] : ['run:17', 'run:<42>'] },
    ],
    counts: { acknowledged: 190, acknowledgedByRoute: { cache: 95, grpc: 95 }, documentsInRun: ok ? 190 : 192, uncertain: 10, uncertainStored: 0 },
  };
}

/** Renders the report in chromium and returns its visible text, and whether the result line comes before the first section. */
async function pageText(summary: LoadSummary, report: VerificationReport | null): Promise<{ text: string; resultFirst: boolean }> {
  assert.ok(context !== undefined, 'the chromium test must run first');
  const page = await context.newPage();
  try {
    await page.setContent(await renderHtml(summary, report));
    const text = await page.innerText('body');
    const resultFirst = await page.evaluate(() => {
      const result = document.getElementById('result');
      const section = document.querySelector('h2');
      return result !== null && section !== null && (result.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    });
    return { text, resultFirst };
  } finally {
    await page.close();
  }
}

Html.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'notas-load-html-'));
  const notas = await startFakeNotas({ failEvery: 25 });
  try {
    const pool: PoolEntry[] = poolRecords(10).map((record, index) => ({ index, body: Buffer.from(JSON.stringify(record)), invalid: null }));
    const result = await runLoad({ url: notas.url, pool, users: 4, durationMs: 3500 });
    failedSummary = result.summary;
    reportPath = join(dir, 'report.html');
    await writeHtml(reportPath, result.summary);
  } finally {
    await notas.close();
  }

  const clean = await startFakeNotas();
  try {
    const pool: PoolEntry[] = poolRecords(10).map((record, index) => ({ index, body: Buffer.from(JSON.stringify(record)), invalid: null }));
    cleanSummary = (await runLoad({ url: clean.url, pool, users: 2, requests: 100 })).summary;
  } finally {
    await clean.close();
  }
});

Html.after(async () => {
  await context?.close();
  await rm(dir, { recursive: true, force: true });
});

Html('charts render offline in chromium', async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: install Debian's chromium with \`apt-get install -y chromium\``);

  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
  });
  const page = await context.newPage();

  const remote: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    remote.push(url);
    return route.abort();
  });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto(pathToFileURL(reportPath).href);
  await page.waitForSelector('body[data-charts="rendered"]', { timeout: 10_000 });

  const painted = await page.evaluate((ids) => ids.map((id) => {
    const canvas = document.querySelector(`#${id} canvas`) as HTMLCanvasElement | null;
    if (canvas === null) return -1;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const opaque = pixels[i + 3] > 0;
      const white = pixels[i] > 250 && pixels[i + 1] > 250 && pixels[i + 2] > 250;
      if (opaque && !white) coloured++;
    }
    return coloured;
  }), CHART_IDS);

  CHART_IDS.forEach((id, index) => assert.ok(painted[index] > 200, `${id}: ${painted[index]} painted pixels`));
  assert.equal(errors, []);
  assert.equal(remote, []);

  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'load-report.png'), fullPage: true });
});

Html('report states the verdicts', async () => {
  assert.ok(context !== undefined, 'the chromium test must run first');
  const page = await context.newPage();
  await page.goto(pathToFileURL(reportPath).href);
  const text = await page.textContent('body');
  assert.match(text ?? '', /Split \(99% Wilson interval\): consistent/);
  assert.match(text ?? '', /HTTP 503/);
  assert.match(text ?? '', /Aggregated/);
  await page.close();
});

Html('no verify says not run', async () => {
  const { text, resultFirst } = await pageText(failedSummary, null);
  assert.ok(resultFirst, 'the result line must come before the first section');
  assert.match(text, 'Result: FAILED (thresholds):');
  assert.match(text, /failure ratio 0\.0\d+ \(\d+ of \d+\) exceeds --max-failure-ratio 0/);
  assert.match(text, /Unexpected failures: [\d,]+ of [\d,]+ requests; [\d,]+ requests are uncertain/);
  assert.match(text, 'Reconciliation: not run');
  assert.match(text, 'Verification was not run: add --verify');
});

Html('mismatch fails the result', async () => {
  const { text, resultFirst } = await pageText(cleanSummary, verification(false));
  assert.ok(resultFirst, 'the result line must come before the first section');
  assert.match(text, 'Result: FAILED (thresholds and reconciliation):');
  assert.match(text, 'reconciliation found a mismatch (no unacknowledged documents)');
  assert.match(text, 'Reconciliation: MISMATCH');
  assert.match(text, /no unacknowledged documents\s+FAIL\s+2 documents nobody acknowledged/);
  assert.match(text, /every acknowledged id is in mongodb\s+ok\s+190 of 190 found/);
  assert.match(text, 'run:<42>');
  assert.match(text, 'Acknowledged 190 (cache 95, grpc 95); 192 documents in the run; uncertain 10, of which stored 0.');
  assert.not.match(text, 'Result: PASSED');
});

Html('exact reconciliation passes', async () => {
  const { text, resultFirst } = await pageText(cleanSummary, verification(true));
  assert.ok(resultFirst, 'the result line must come before the first section');
  assert.match(text, 'Result: PASSED (thresholds and reconciliation).');
  assert.match(text, 'Unexpected failures: none.');
  assert.match(text, 'Reconciliation: exact');
  assert.not.match(text, 'FAIL');
});

Html.run();
