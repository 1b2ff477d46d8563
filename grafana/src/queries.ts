/**
 * Panel queries of the two community datasources, which the foundation SDK
 * has no types for. Each builder produces the exact object the plugin's
 * frontend stores in the panel's `targets`.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { MONGO_COLLECTION } from '../../lib/store/names.ts';
import { DATASOURCES } from './pins.ts';

/** One aggregation stage, written as the plain object MongoDB receives. */
export type Stage = Record<string, unknown>;

/**
 * Query model of haohanyang-mongodb-datasource 0.5.0: the collection and the
 * aggregation pipeline as Extended JSON text. Before sending, the plugin's
 * frontend runs Grafana's template replacement over `queryText`, so
 * `$__from`/`$__to` become the time range in epoch milliseconds and
 * `${name}` becomes a dashboard variable; the backend then parses the text
 * with bson.UnmarshalExtJSON and calls Aggregate.
 */
export interface MongoTarget {
  refId: string;
  datasource: dashboard.DataSourceRef;
  collection: string;
  queryLanguage: 'json';
  queryText: string;
}

/**
 * Query model of redis-datasource 2.2.0 for its "Redis" command type: the
 * backend runs `command` on `keyName`; for XREVRANGE, `start`/`end` replace
 * the time range and `count` adds COUNT.
 */
export interface RedisTarget {
  refId: string;
  datasource: dashboard.DataSourceRef;
  type: 'command';
  command: 'get' | 'hgetall' | 'xrevrange';
  keyName: string;
  start?: string;
  end?: string;
  count?: number;
  streaming: false;
}

/** Marker for a dashboard variable that must appear unquoted, as a number, in the pipeline text. */
const RAW_PREFIX = '\u0000raw:';

/** Places `${name}` unquoted in the pipeline text, so a numeric variable stays a number after interpolation. */
export function rawVariable(name: string): string {
  return `${RAW_PREFIX}${name}`;
}

/** Serialises a pipeline the way a person would type it in the plugin's JSON editor. */
export function pipelineText(pipeline: Stage[]): string {
  const text = JSON.stringify(pipeline, null, 2);
  return text.replace(/"\\u0000raw:([A-Za-z_][A-Za-z0-9_]*)"/g, '$${$1}');
}

/** `{"$date": {"$numberLong": "$__from"}}`: the start of the dashboard time range as a BSON Date. */
export const RANGE_FROM = { $date: { $numberLong: '$__from' } };
/** The end of the dashboard time range as a BSON Date. */
export const RANGE_TO = { $date: { $numberLong: '$__to' } };

/**
 * Builds a MongoDB panel query.
 *
 * @example
 * new MongoQuery('A', [{ $count: 'registros' }])
 */
export class MongoQuery implements cog.Builder<cog.Dataquery> {
  private readonly target: MongoTarget;

  constructor(refId: string, pipeline: Stage[]) {
    this.target = {
      refId,
      datasource: { type: DATASOURCES.mongodb.type, uid: DATASOURCES.mongodb.uid },
      collection: MONGO_COLLECTION,
      queryLanguage: 'json',
      queryText: pipelineText(pipeline),
    };
  }

  build(): cog.Dataquery {
    // The variant marker is a function, so JSON serialisation drops it.
    return { ...this.target, _implementsDataqueryVariant: () => {} };
  }
}

/**
 * Builds a Redis panel query.
 *
 * @example
 * new RedisQuery('A', 'hgetall', 'notas:por_curso')
 */
export class RedisQuery implements cog.Builder<cog.Dataquery> {
  private readonly target: RedisTarget;

  constructor(refId: string, command: RedisTarget['command'], keyName: string, range?: { start: string; end: string; count: number }) {
    this.target = {
      refId,
      datasource: { type: DATASOURCES.redis.type, uid: DATASOURCES.redis.uid },
      type: 'command',
      command,
      keyName,
      ...range,
      streaming: false,
    };
  }

  build(): cog.Dataquery {
    return { ...this.target, _implementsDataqueryVariant: () => {} };
  }
}
