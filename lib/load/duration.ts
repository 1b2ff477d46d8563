const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The accepted duration form, as help text and errors print it. */
export const DURATION_FORM = 'a number with a unit ms, s, m or h (500ms, 30s, 2m, 1h); a bare number means seconds';

/**
 * Parses `500ms`, `30s`, `2m`, `1.5h` or a bare number of seconds into
 * milliseconds. Returns undefined for anything else, negative values included.
 */
export function parseDuration(raw: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  if (match === null) return undefined;

  const unit = match[2] ?? 's';
  return Math.round(Number(match[1]) * UNITS[unit]);
}

/** Formats milliseconds the way a person reads a run length: `950ms`, `42s`, `2m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;

  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;

  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes}m${String(seconds).padStart(2, '0')}s`;

  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
