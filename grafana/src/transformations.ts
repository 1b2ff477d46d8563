/**
 * Grafana transformations used by the dashboards, as the plain
 * DataTransformerConfig objects that Grafana 11.6 stores in panel JSON.
 * Derived values (an average, failing counts) are computed here, in the
 * browser, so every database query stays inside what FerretDB 1.24 runs.
 */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

type Transformation = dashboard.DataTransformerConfig;

/** Renames, orders and hides fields. Fields not in `order` keep their place after the listed ones. */
export function organize(options: { rename?: Record<string, string>; hide?: string[]; order?: string[] }): Transformation {
  const excludeByName = Object.fromEntries((options.hide ?? []).map((name) => [name, true]));
  const indexByName = Object.fromEntries((options.order ?? []).map((name, index) => [name, index]));
  return {
    id: 'organize',
    options: { renameByName: options.rename ?? {}, excludeByName, indexByName },
  };
}

/** Joins every frame on `field` (outer join), so one row per key collects each query's value. */
export function joinByField(field: string): Transformation {
  return { id: 'joinByField', options: { byField: field, mode: 'outer' } };
}

/** Adds `alias` = `left` ÷ `right`, row by row. */
export function divide(left: string, right: string, alias: string): Transformation {
  return binary(left, '/', right, alias);
}

/** Adds `alias` = `left` − `right`, row by row. */
export function subtract(left: string, right: string, alias: string): Transformation {
  return binary(left, '-', right, alias);
}

function binary(left: string, operator: '/' | '-', right: string, alias: string): Transformation {
  return {
    id: 'calculateField',
    options: {
      mode: 'binary',
      binary: {
        left: { matcher: { id: 'byName', options: left } },
        operator,
        right: { matcher: { id: 'byName', options: right } },
      },
      alias,
      // The frames have no time field, so no time-series alignment applies.
      timeSeries: false,
    },
  };
}

/**
 * Turns one hash frame of redis-datasource (one row, one field per hash
 * field) into rows `Field` | `Last *`, then names those columns. `refId`
 * limits the step to one query's frame, because the reduce transformation
 * merges every frame it receives into one.
 */
export function hashToRows(refId: string, keyName: string, valueName: string): Transformation[] {
  const filter = { id: 'byRefId', options: refId };
  return [
    { id: 'reduce', filter, options: { reducers: ['lastNotNull'], mode: 'seriesToRows', includeTimeField: false } },
    { id: 'organize', filter, options: { renameByName: { Field: keyName, 'Last *': valueName }, excludeByName: {}, indexByName: {} } },
  ];
}

/** Sorts rows by `field`, ascending. */
export function sortBy(field: string): Transformation {
  return { id: 'sortBy', options: { sort: [{ field, desc: false }] } };
}

/** Converts `field` to a string, so a bar chart can use a numeric key as its category axis. */
export function toText(field: string): Transformation {
  return { id: 'convertFieldType', options: { conversions: [{ targetField: field, destinationType: 'string' }], fields: {} } };
}
