import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { validateRecord } from '../record.ts';

/** Marker key the generator adds to deliberately invalid records; its value is the reason. */
export const INVALID_MARKER = '_invalid';

/** One request body ready to send. */
export interface PoolEntry {
  /** Position in the pool file, 0-based, as error messages cite it. */
  index: number;
  /** The JSON body, marker removed, encoded once so sending copies no strings. */
  body: Buffer;
  /** Reason from the pool's invalid marker, or null; a marked record expects a 400. */
  invalid: string | null;
}

export class PoolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoolError';
  }
}

/**
 * Reads a pool file (a JSON array of records, or NDJSON with one record per
 * line), validates every unmarked record with the shared validator and
 * returns the encoded bodies. Throws PoolError naming the file, the record's
 * index and the field at fault.
 */
export async function loadPool(path: string, now: Date = new Date()): Promise<PoolEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new PoolError(`pool file ${path} not found: create one with \`npm run generate\` (writes data/pool.json) or pass --pool FILE`);
    }
    throw new PoolError(`cannot read pool file ${path}: ${(error as Error).message}`);
  }

  const records = parsePool(text, path);
  if (records.length === 0) throw new PoolError(`pool file ${path} contains no records`);

  return records.map((record, index) => toEntry(record, index, basename(path), now));
}

function parsePool(text: string, path: string): unknown[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown[];
    } catch (error) {
      throw new PoolError(`pool file ${path} is not valid JSON: ${(error as Error).message}`);
    }
  }

  const records: unknown[] = [];
  const lines = text.split('\n');
  for (let line = 0; line < lines.length; line++) {
    const source = lines[line].trim();
    if (source === '') continue;
    try {
      records.push(JSON.parse(source));
    } catch (error) {
      throw new PoolError(`pool file ${path} line ${line + 1} is not valid JSON (expected a JSON array or one record per line): ${(error as Error).message}`);
    }
  }
  return records;
}

function toEntry(record: unknown, index: number, file: string, now: Date): PoolEntry {
  const isObject = typeof record === 'object' && record !== null && !Array.isArray(record);
  const marker = isObject ? (record as Record<string, unknown>)[INVALID_MARKER] : undefined;

  if (marker !== undefined) {
    const { [INVALID_MARKER]: _reason, ...rest } = record as Record<string, unknown>;
    return { index, body: Buffer.from(JSON.stringify(rest)), invalid: String(marker) };
  }

  const result = validateRecord(record, now);
  if (!result.ok) {
    throw new PoolError(
      `${file}: record ${index}: ${result.error.message} (expected ${result.error.accepted}). ` +
        `Fix the record, or mark a deliberately invalid one with "${INVALID_MARKER}": "<reason>" so a 400 counts as success`,
    );
  }
  return { index, body: Buffer.from(JSON.stringify(record)), invalid: null };
}
