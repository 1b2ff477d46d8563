/**
 * Replays committed panel queries against real servers the way the
 * datasource plugins send them, and shapes the replies like the plugins'
 * data frames, so a test can check what a panel would receive.
 */
import { BSON, type Db, type Document } from 'mongodb';
import type { createClient } from 'redis';
import { interpolate, type DashboardJson, type PanelJson } from './grafana.ts';

type RedisClient = ReturnType<typeof createClient>;

export interface MongoTarget {
  refId: string;
  datasource: { type: string; uid: string };
  collection: string;
  queryLanguage: string;
  queryText: string;
}

export interface RedisTarget {
  refId: string;
  datasource: { type: string; uid: string };
  type: string;
  command: string;
  keyName: string;
  start?: string;
  end?: string;
  count?: number;
}

export interface TimeRange {
  from: Date;
  to: Date;
}

/** Stages FerretDB 1.24 implements; a pipeline outside this list would not run in the tests. */
export const FERRETDB_STAGES = ['$match', '$group', '$sort', '$limit', '$skip', '$project', '$unwind', '$addFields', '$set', '$unset', '$count'];

export function mongoTargets(panel: PanelJson): MongoTarget[] {
  return (panel.targets ?? []).filter((target) => target.datasource?.type === 'haohanyang-mongodb-datasource') as unknown as MongoTarget[];
}

export function redisTargets(panel: PanelJson): RedisTarget[] {
  return (panel.targets ?? []).filter((target) => target.datasource?.type === 'redis-datasource') as unknown as RedisTarget[];
}

/**
 * Returns the pipeline the plugin would run: Grafana's template replacement
 * over `queryText` (time range in epoch milliseconds, dashboard variables at
 * their current value), then Extended JSON parsing as bson.UnmarshalExtJSON does.
 */
export function pipelineOf(dashboard: DashboardJson, target: MongoTarget, range: TimeRange, variables: Record<string, string>): Document[] {
  const values = { ...variables, __from: String(range.from.getTime()), __to: String(range.to.getTime()) };
  const text = interpolate(target.queryText, values);
  const pipeline = BSON.EJSON.parse(text, { relaxed: true }) as unknown;
  if (!Array.isArray(pipeline)) throw new Error(`${dashboard.title}: query ${target.refId} is not a pipeline array`);
  return pipeline as Document[];
}

/** Thrown when a panel query returns nothing: the message names the panel, so the failing panel is obvious. */
export class EmptyPanelError extends Error {
  constructor(panel: PanelJson, refId: string) {
    super(`panel "${panel.title}" query ${refId} returned no rows`);
    this.name = 'EmptyPanelError';
  }
}

/** Runs a Mongo target and fails with the panel's title when it returns no documents. */
export async function runMongoTarget(db: Db, panel: PanelJson, target: MongoTarget, pipeline: Document[]): Promise<Document[]> {
  const rows = await db.collection(target.collection).aggregate(pipeline).toArray();
  if (rows.length === 0) throw new EmptyPanelError(panel, target.refId);
  return rows;
}

/** One field of a plugin data frame: its name and a value per row, null where a document lacked it. */
export type Frame = Record<string, unknown[]>;

/**
 * Shapes documents like haohanyang-mongodb-datasource: one column per key
 * seen in any document, `_id` first, null where a document lacks the key.
 */
export function mongoFrame(rows: Document[]): Frame {
  const names: string[] = [];
  for (const row of rows) {
    for (const name of Object.keys(row)) if (!names.includes(name)) names.push(name);
  }
  names.sort((left, right) => Number(right === '_id') - Number(left === '_id'));

  return Object.fromEntries(names.map((name) => [name, rows.map((row) => (name in row ? row[name] : null))]));
}

function pluginValue(text: string): number | string {
  // redis-datasource uses strconv.ParseFloat and falls back to the string.
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? number : text;
}

/**
 * Runs a Redis target with the command and arguments redis-datasource 2.2.0
 * sends, shaped like its frame: GET gives field `Value`, HGETALL one field
 * per hash field, XREVRANGE one row per entry with `$streamId` and the
 * entry's fields. Fails with the panel's title when the reply is empty.
 */
export async function runRedisTarget(client: RedisClient, panel: PanelJson, target: RedisTarget): Promise<Frame> {
  switch (target.command) {
    case 'get': {
      const value = await client.sendCommand(['GET', target.keyName]);
      if (value === null || value === undefined) throw new EmptyPanelError(panel, target.refId);
      return { Value: [pluginValue(String(value))] };
    }
    case 'hgetall': {
      // node-redis 6 maps the RESP2 field/value array to an object.
      const reply = (await client.sendCommand(['HGETALL', target.keyName])) as Record<string, string>;
      const fields = Object.entries(reply);
      if (fields.length === 0) throw new EmptyPanelError(panel, target.refId);
      return Object.fromEntries(fields.map(([name, value]) => [name, [pluginValue(String(value))]]));
    }
    case 'xrevrange': {
      const args = ['XREVRANGE', target.keyName, target.end ?? '+', target.start ?? '-'];
      if (target.count !== undefined && target.count > 0) args.push('COUNT', String(target.count));
      const entries = (await client.sendCommand(args)) as Array<[string, string[]]>;
      if (entries.length === 0) throw new EmptyPanelError(panel, target.refId);

      const frame: Frame = { $streamId: entries.map(([id]) => String(id)) };
      entries.forEach(([, fields], row) => {
        for (let index = 0; index < fields.length; index += 2) {
          const name = String(fields[index]);
          frame[name] ??= new Array(entries.length).fill(null);
          frame[name][row] = pluginValue(String(fields[index + 1]));
        }
      });
      return frame;
    }
    default:
      throw new Error(`panel "${panel.title}": command ${target.command} is not replayed by this test`);
  }
}

/** Returns the `Field` | value rows that `hashToRows` makes of a one-row hash frame. */
export function hashRows(frame: Frame): Map<string, number> {
  return new Map(Object.entries(frame).map(([name, values]) => [name, values[0] as number]));
}

/** Returns the `_id` → value rows of a group query (one accumulator per $group). */
export function groupRows(frame: Frame, accumulator: string): Map<string, number> {
  const keys = frame._id ?? [];
  const values = frame[accumulator] ?? [];
  return new Map(keys.map((key, index) => [String(key), values[index] as number]));
}
