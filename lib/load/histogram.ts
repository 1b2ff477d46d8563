import * as hdr from 'hdr-histogram-js';

/** Percentiles every report shows, in Locust's order. */
export const PERCENTILES = [50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100] as const;

// Microseconds from 1 µs to one hour at 3 significant digits, which bounds
// the error at 0.1% for any latency. Int32 buckets take about 94 KB per
// histogram. The packed variant is smaller, but its index lookups cost a
// tenth of the client's CPU at high request rates.
const LOWEST_US = 1;
const HIGHEST_US = 3_600_000_000;
const SIGNIFICANT_DIGITS = 3;

export interface HistogramExport {
  unit: 'us';
  significantDigits: number;
  /** HdrHistogram's compressed V2 encoding, readable by every HdrHistogram port. */
  encoded: string;
  /** Recorded values as [highest equivalent value in µs, count], ascending. */
  buckets: Array<[number, number]>;
}

/**
 * Latency histogram in microseconds with exact min, max and sum beside the
 * HDR buckets, so p0 and p100 are the real extremes rather than bucket edges.
 */
export class LatencyHistogram {
  // Built with useWebAssembly: false, so the instance is the JS class, whose
  // declaration (unlike the Histogram interface) has the iterators.
  readonly hdr: hdr.JsHistogram;
  count = 0;
  sumUs = 0;
  minUs = Infinity;
  maxUs = 0;

  constructor() {
    this.hdr = hdr.build({
      bitBucketSize: 32,
      lowestDiscernibleValue: LOWEST_US,
      highestTrackableValue: HIGHEST_US,
      numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
      useWebAssembly: false,
      autoResize: false,
    }) as hdr.JsHistogram;
  }

  /** Records one latency; values beyond one hour are kept exactly in max and clamped in the buckets. */
  record(us: number): void {
    const value = us < LOWEST_US ? LOWEST_US : us;
    this.count++;
    this.sumUs += value;
    if (value < this.minUs) this.minUs = value;
    if (value > this.maxUs) this.maxUs = value;
    this.hdr.recordValue(Math.round(value > HIGHEST_US ? HIGHEST_US : value));
  }

  add(other: LatencyHistogram): void {
    if (other.count === 0) return;
    this.hdr.add(other.hdr);
    this.count += other.count;
    this.sumUs += other.sumUs;
    if (other.minUs < this.minUs) this.minUs = other.minUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  reset(): void {
    this.hdr.reset();
    this.count = 0;
    this.sumUs = 0;
    this.minUs = Infinity;
    this.maxUs = 0;
  }

  /**
   * Returns the latency in µs at `percentile` (0 to 100). HDR lookups return
   * a bucket's upper edge, so the value is clamped to the exact min and max.
   * Thus p100 is the maximum itself and no percentile exceeds it.
   */
  percentileUs(percentile: number): number {
    if (this.count === 0) return 0;
    if (percentile >= 100) return this.maxUs;
    if (percentile <= 0) return this.minUs;

    const value = this.hdr.getValueAtPercentile(percentile);
    return Math.min(this.maxUs, Math.max(this.minUs, value));
  }

  meanUs(): number {
    return this.count === 0 ? 0 : this.sumUs / this.count;
  }

  /** Percentiles in milliseconds keyed by their label (`"50"`, `"99.9"`, `"100"`). */
  percentilesMs(): Record<string, number> {
    const result: Record<string, number> = {};
    for (const percentile of PERCENTILES) result[String(percentile)] = this.percentileUs(percentile) / 1000;
    return result;
  }

  export(): HistogramExport {
    const buckets: Array<[number, number]> = [];
    const values = this.hdr.recordedValuesIterator;
    values.reset();
    while (values.hasNext()) {
      const step = values.next();
      buckets.push([this.hdr.highestEquivalentValue(step.valueIteratedTo), step.countAtValueIteratedTo]);
    }

    return {
      unit: 'us',
      significantDigits: SIGNIFICANT_DIGITS,
      encoded: hdr.encodeIntoCompressedBase64(this.hdr),
      buckets,
    };
  }
}
