import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FAILURES_COLUMNS, STATS_COLUMNS, STATS_HISTORY_COLUMNS, toCsv, writeCsvFiles } from '../lib/load/csv.ts';
import type { PoolEntry } from '../lib/load/pool.ts';
import { runLoad, type LoadResult } from '../lib/load/run.ts';
import { poolRecords, startFakeNotas, type FakeNotas } from './helpers/load-server.ts';

// Copied from Locust 2.47.0, locust/stats.py: StatsCSV.requests_csv_columns,
// StatsCSV.failures_columns and StatsCSVFileWriter.stats_history_csv_columns
// with PERCENTILES_TO_REPORT = [0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0].
const LOCUST_PERCENTILES = ['50%', '66%', '75%', '80%', '90%', '95%', '98%', '99%', '99.9%', '99.99%', '100%'];
const LOCUST_STATS = [
  'Type', 'Name', 'Request Count', 'Failure Count', 'Median Response Time', 'Average Response Time',
  'Min Response Time', 'Max Response Time', 'Average Content Size', 'Requests/s', 'Failures/s', ...LOCUST_PERCENTILES,
];
const LOCUST_STATS_HISTORY = [
  'Timestamp', 'User Count', 'Type', 'Name', 'Requests/s', 'Failures/s', ...LOCUST_PERCENTILES,
  'Total Request Count', 'Total Failure Count', 'Total Median Response Time', 'Total Average Response Time',
  'Total Min Response Time', 'Total Max Response Time', 'Total Average Content Size',
];
const LOCUST_FAILURES = ['Method', 'Name', 'Error', 'Occurrences', 'First Seen', 'Last Seen'];

type Row = Record<string, string>;

const Csv = suite('load csv');
let dir = '';
let notas: FakeNotas;
let result: LoadResult;
let stats: Row[];
let history: Row[];
let failures: Row[];
let files: string[];

Csv.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'notas-load-csv-'));
  notas = await startFakeNotas({ failEvery: 20 });
  const pool: PoolEntry[] = poolRecords(20).map((record, index) => ({ index, body: Buffer.from(JSON.stringify(record)), invalid: null }));
  result = await runLoad({ url: notas.url, pool, users: 4, durationMs: 2500 });
  files = await writeCsvFiles(join(dir, 'run'), result.summary);

  const read = async (name: string) => parse(await readFile(join(dir, name), 'utf8'), { columns: true, skip_empty_lines: true }) as Row[];
  stats = await read('run_stats.csv');
  history = await read('run_stats_history.csv');
  failures = await read('run_failures.csv');
});

Csv.after(async () => {
  await notas.close();
  await rm(dir, { recursive: true, force: true });
});

async function header(name: string): Promise<string[]> {
  const [first] = parse(await readFile(join(dir, name), 'utf8'), { to_line: 1 }) as string[][];
  return first;
}

Csv('column lists match Locust', () => {
  assert.equal(STATS_COLUMNS, LOCUST_STATS);
  assert.equal(STATS_HISTORY_COLUMNS, LOCUST_STATS_HISTORY);
  assert.equal(FAILURES_COLUMNS, LOCUST_FAILURES);
});

Csv('files carry Locust headers', async () => {
  assert.equal(files.map((path) => path.slice(dir.length + 1)), ['run_stats.csv', 'run_stats_history.csv', 'run_failures.csv']);
  assert.equal(await header('run_stats.csv'), LOCUST_STATS);
  assert.equal(await header('run_stats_history.csv'), LOCUST_STATS_HISTORY);
  assert.equal(await header('run_failures.csv'), LOCUST_FAILURES);
});

Csv('stats rows per route then Aggregated', () => {
  assert.equal(stats.map((row) => [row.Type, row.Name]), [['POST', '/notas [cache]'], ['POST', '/notas [grpc]'], ['', 'Aggregated']]);
});

Csv('Aggregated equals the sum of routes', () => {
  const routes = stats.filter((row) => row.Name !== 'Aggregated');
  const aggregated = stats.find((row) => row.Name === 'Aggregated')!;
  const sum = (column: string) => routes.reduce((total, row) => total + Number(row[column]), 0);

  assert.is(Number(aggregated['Request Count']), sum('Request Count'));
  assert.is(Number(aggregated['Failure Count']), sum('Failure Count'));
  assert.is(Number(aggregated['Request Count']), result.summary.total.requests);
  assert.ok(Number(aggregated['Failure Count']) > 0, 'the server fails every 20th request');
});

Csv('stats values are numbers', () => {
  for (const row of stats) {
    for (const column of LOCUST_STATS.slice(2)) {
      assert.ok(Number.isFinite(Number(row[column])), `${row.Name} ${column} = ${row[column]}`);
    }
    assert.is(Number(row['100%']), Math.round(Number(row['Max Response Time'])));
  }
});

Csv('history has a row per route and second', () => {
  const aggregated = history.filter((row) => row.Name === 'Aggregated');
  assert.ok(aggregated.length >= 2, `${aggregated.length} Aggregated rows`);
  assert.is(history.length, aggregated.length * 3);

  const last = aggregated[aggregated.length - 1];
  assert.is(Number(last['Total Request Count']), result.summary.total.requests);
  assert.match(last['Requests/s'], /^\d+\.\d{6}$/);
  assert.match(last.Timestamp, /^\d{10}$/);
});

Csv('failures list kind and times', () => {
  // Every 20th request is an even one, which the fake server routes to grpc.
  assert.equal(failures.map((row) => row.Name), ['/notas [grpc]']);
  for (const row of failures) {
    assert.is(row.Method, 'POST');
    assert.is(row.Error, 'HTTP 503');
    assert.match(row['First Seen'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  const occurrences = failures.reduce((total, row) => total + Number(row.Occurrences), 0);
  assert.is(occurrences, result.summary.total.failures);
});

Csv('quoting follows Python csv', () => {
  assert.is(toCsv([['a,b', 'say "hi"', 3], ['line\nbreak', '', 0.5]]), '"a,b","say ""hi""",3\r\n"line\nbreak",,0.5\r\n');
});

Csv.run();
