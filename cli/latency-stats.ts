/** Latency samples and their summary (average, percentiles, max), for `tributary perf`. */

/** A fixed-capacity set of latency samples in ms. */
export class LatencySamples {
  readonly #values: Float64Array;
  #count = 0;
  #sum = 0;
  #max = 0;

  constructor(capacity: number) {
    this.#values = new Float64Array(Math.max(1, capacity));
  }

  /** Adds one sample (ignored once full; the capacity is the record count). */
  add(ms: number): void {
    if (this.#count < this.#values.length) this.#values[this.#count++] = ms;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  /** Samples added. */
  get count(): number {
    return this.#count;
  }

  /** Average, max and the p50/p95/p99/p99.9 percentiles (nearest rank). */
  summary(): { avg: number; max: number; p50: number; p95: number; p99: number; p999: number } {
    const sorted = this.#values.subarray(0, this.#count).slice().sort();
    const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!);
    return { avg: this.#count === 0 ? 0 : this.#sum / this.#count, max: this.#max, p50: at(0.5), p95: at(0.95), p99: at(0.99), p999: at(0.999) };
  }
}
