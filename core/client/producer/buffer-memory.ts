/**
 * The producer's memory bound: bytes of records accepted but not yet acknowledged. A
 * reservation that does not fit waits (FIFO, so a large record is not starved by small
 * ones) and fails with `ERR_BUFFER_FULL` after `maxBlockMs`.
 */
import { TributaryError } from '../../errors.ts';

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Counts reserved bytes against a limit. */
export class BufferMemory {
  /** The limit in bytes. */
  readonly limit: number;
  #used = 0;
  #waiters: Waiter[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }

  /** True while some reservation is waiting (the producer then sends without lingering). */
  get exhausted(): boolean {
    return this.#waiters.length > 0;
  }

  /** Reserves `bytes` at once when they fit and nobody waits ahead; false otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.#waiters.length === 0 && this.#used + bytes <= this.limit) {
      this.#used += bytes;
      return true;
    }
    return false;
  }

  /** Waits until `bytes` fit, at most `maxBlockMs`; then `ERR_BUFFER_FULL`. */
  reserve(bytes: number, maxBlockMs: number): Promise<void> {
    if (this.tryReserve(bytes)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes, resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new TributaryError('ERR_BUFFER_FULL', `The producer buffer (${this.limit} bytes) stayed full for ${maxBlockMs} ms`, {
          retriable: true,
          details: { bufferMemory: this.limit, used: this.#used, requested: bytes },
        }));
        this.#wake();
      }, maxBlockMs);
      this.#waiters.push(waiter);
    });
  }

  /** Returns `bytes` and wakes the waiters that now fit. */
  release(bytes: number): void {
    this.#used -= bytes;
    if (this.#used < 0) this.#used = 0;
    this.#wake();
  }

  /** Fails every waiter with `error` (the producer is closing). */
  rejectAll(error: unknown): void {
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  #wake(): void {
    while (this.#waiters.length > 0) {
      const w = this.#waiters[0]!;
      if (this.#used + w.bytes > this.limit) return;
      this.#waiters.shift();
      clearTimeout(w.timer);
      this.#used += w.bytes;
      w.resolve();
    }
  }
}
