import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

// Above these, the client's own delays show up in the latencies it reports.
// A busy event loop postpones reading responses; late timers postpone sends.
export const MAX_EVENT_LOOP_UTILIZATION = 0.9;
export const MAX_EVENT_LOOP_DELAY_P99_MS = 50;
export const MAX_SEND_LAG_P99_MS = 50;
// Fallback where event-loop metrics are missing: one core nearly busy.
export const MAX_CPU_CORES = 0.9;
const RESOLUTION_MS = 10;

// NOTE: Deno 2 implements eventLoopUtilization and monitorEventLoopDelay from
// node:perf_hooks as stubs that read zero, so under Deno the check falls back
// to CPU time alone.
const EVENT_LOOP_METRICS = !('Deno' in globalThis);

/** The load generator's own health during the run. */
export interface SelfCheck {
  /** False when the client, not the server, limited the run. */
  valid: boolean;
  /** False where the runtime lacks event-loop metrics (Deno), so only CPU time was checked. */
  eventLoopMetrics: boolean;
  reasons: string[];
  /** User plus system CPU time of this process during the run, seconds. */
  cpuSeconds: number;
  /** CPU time divided by elapsed time: 1.0 is one core fully busy. */
  cpuCores: number;
  /** Share of the run the event loop was busy (0 to 1). */
  eventLoopUtilization: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Open model only: how late requests left compared with their schedule, ms. */
  sendLagMs: { p50: number; p99: number; max: number } | null;
}

/** Per-second figures of the client for the history. */
export interface ClientSample {
  eventLoopUtilization: number;
  cpuCores: number;
}

/** Watches this process's event loop and CPU from start() to finish(). */
export class SelfMonitor {
  readonly delay: IntervalHistogram;
  cpuStart: NodeJS.CpuUsage = process.cpuUsage();
  eluStart: EventLoopUtilization = performance.eventLoopUtilization();
  lastCpu: NodeJS.CpuUsage = this.cpuStart;
  lastElu: EventLoopUtilization = this.eluStart;
  lastSampleMs = performance.now();
  startMs = performance.now();

  constructor() {
    this.delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  }

  start(): void {
    this.delay.enable();
    this.cpuStart = process.cpuUsage();
    this.eluStart = performance.eventLoopUtilization();
    this.lastCpu = this.cpuStart;
    this.lastElu = this.eluStart;
    this.startMs = performance.now();
    this.lastSampleMs = this.startMs;
  }

  /** Returns utilisation since the previous sample. */
  sample(): ClientSample {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const wallUs = Math.max(1, (now - this.lastSampleMs) * 1000);

    const result = {
      eventLoopUtilization: performance.eventLoopUtilization(elu, this.lastElu).utilization,
      cpuCores: (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / wallUs,
    };
    this.lastCpu = cpu;
    this.lastElu = elu;
    this.lastSampleMs = now;
    return result;
  }

  finish(sendLagMs: SelfCheck['sendLagMs']): SelfCheck {
    this.delay.disable();
    const wallSeconds = Math.max(0.001, (performance.now() - this.startMs) / 1000);
    const cpu = process.cpuUsage(this.cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const utilization = performance.eventLoopUtilization(performance.eventLoopUtilization(), this.eluStart).utilization;

    // The histogram records the time between samples in ns, so a punctual
    // loop shows the resolution itself. The delay is what exceeds it.
    const lateMs = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const delayMs = this.delay.count === 0
      ? { p50: 0, p99: 0, max: 0 }
      : { p50: lateMs(this.delay.percentile(50)), p99: lateMs(this.delay.percentile(99)), max: lateMs(this.delay.max) };

    const reasons: string[] = [];
    if (!EVENT_LOOP_METRICS && cpuSeconds / wallSeconds > MAX_CPU_CORES) {
      reasons.push(`the client used ${(cpuSeconds / wallSeconds).toFixed(2)} cores of CPU (limit ${MAX_CPU_CORES}): responses waited for the client`);
    }
    if (utilization > MAX_EVENT_LOOP_UTILIZATION) {
      reasons.push(`the event loop was busy ${pct(utilization)} of the run (limit ${pct(MAX_EVENT_LOOP_UTILIZATION)}): responses waited for the client`);
    }
    if (delayMs.p99 > MAX_EVENT_LOOP_DELAY_P99_MS) {
      reasons.push(`event-loop delay p99 was ${delayMs.p99.toFixed(1)} ms (limit ${MAX_EVENT_LOOP_DELAY_P99_MS} ms): timers and responses ran late`);
    }
    if (sendLagMs !== null && sendLagMs.p99 > MAX_SEND_LAG_P99_MS) {
      reasons.push(`requests left up to ${sendLagMs.p99.toFixed(1)} ms (p99) after their scheduled time (limit ${MAX_SEND_LAG_P99_MS} ms)`);
    }

    return {
      valid: reasons.length === 0,
      eventLoopMetrics: EVENT_LOOP_METRICS,
      reasons,
      cpuSeconds,
      cpuCores: cpuSeconds / wallSeconds,
      eventLoopUtilization: utilization,
      eventLoopDelayMs: delayMs,
      sendLagMs,
    };
  }
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}
