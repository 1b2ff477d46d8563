import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeHtml } from '../lib/load/html.ts';
import type { PoolEntry } from '../lib/load/pool.ts';
import { runLoad } from '../lib/load/run.ts';
import { poolRecords, startFakeNotas } from './helpers/load-server.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const CHART_IDS = ['chart-rps', 'chart-failures', 'chart-latency', 'chart-route-latency', 'chart-split', 'chart-users'];

const Html = suite('load html report');
let dir = '';
let reportPath = '';
let context: BrowserContext | undefined;

Html.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'notas-load-html-'));
  const notas = await startFakeNotas({ failEvery: 25 });
  try {
    const pool: PoolEntry[] = poolRecords(10).map((record, index) => ({ index, body: Buffer.from(JSON.stringify(record)), invalid: null }));
    const result = await runLoad({ url: notas.url, pool, users: 4, durationMs: 3500 });
    reportPath = join(dir, 'report.html');
    await writeHtml(reportPath, result.summary);
  } finally {
    await notas.close();
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

Html.run();
