/**
 * The controller link's back-off runs on the injected Clock: with a manual clock nothing is
 * retried until the test moves time, the waits grow exponentially up to their bound, and
 * the retry deadline is the clock's. The network's failures are made by a transport
 * factory that refuses the first connections; the controller behind it is real (TCP).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { serveController } from '../../adapters/server/index.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import type { Clock } from '../../core/clock.ts';
import type { TransportFactory } from '../../core/client/transport.ts';
import { ControllerChannel } from '../../core/broker/controller/controller-channel.ts';
import { TributaryError } from '../../core/errors.ts';
import { TestController, TestQuorum } from './controller-test-parts.ts';

/** Time that moves only when the test says. */
class ManualClock implements Clock {
  #now = 1_000_000;
  #timers = new Map<number, { at: number; run: () => void }>();
  #next = 1;

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, run: callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Delays of the timers pending now, from now. */
  pending(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now);
  }

  advance(ms: number): void {
    this.#now += ms;
    for (const [id, t] of [...this.#timers]) {
      if (t.at > this.#now) continue;
      this.#timers.delete(id);
      t.run();
    }
  }
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** tcpTransport, refusing the first `failures` connections as an unreachable node would. */
function flaky(failures: number): { factory: TransportFactory; attempts(): number } {
  const tcp = tcpTransport();
  let attempts = 0;
  return {
    attempts: () => attempts,
    factory: (address, options) => {
      attempts++;
      if (attempts <= failures) return Promise.reject(new TributaryError('ERR_CONNECT_FAILED', `refused (${attempts})`, { retriable: true }));
      return tcp(address, options);
    },
  };
}

describe('controller link back-off', () => {
  it('waits on the injected clock between attempts, exponentially up to the bound', async () => {
    const quorum = new TestQuorum(1);
    const listener = await serveController({ nodeId: 1, controller: new TestController(quorum), quorum, port: 0 });
    cleanups.push(() => listener.close());
    const clock = new ManualClock();
    const net = flaky(3);
    const channel = new ControllerChannel({ voters: [{ nodeId: 1, host: '127.0.0.1', port: listener.port }], transport: net.factory, clock, defaultNumPartitions: 1, retryBackoffMs: 100, retryBackoffMaxMs: 250, retryTimeoutMs: 60_000 });
    cleanups.push(() => channel.close());
    let done = false;
    const call = channel.allocateProducerIds({ brokerId: 1, brokerEpoch: 0 }).finally(() => (done = true));
    await settle();
    expect(net.attempts()).toBe(1);
    expect(clock.pending()).toEqual([100]);
    clock.advance(99);
    await settle();
    expect(net.attempts()).toBe(1);
    clock.advance(1);
    await settle();
    expect(net.attempts()).toBe(2);
    expect(clock.pending()).toEqual([200]);
    clock.advance(200);
    await settle();
    expect(net.attempts()).toBe(3);
    expect(clock.pending()).toEqual([250]);
    expect(done).toBe(false);
    clock.advance(250);
    await until(() => done);
    expect(net.attempts()).toBe(4);
    // The controller answered: this broker is not registered, so its epoch is stale.
    expect(await call).toMatchObject({ errorCode: 77 });
  });

  it('gives up when the clock passes the retry deadline', async () => {
    const clock = new ManualClock();
    const net = flaky(Number.POSITIVE_INFINITY);
    const channel = new ControllerChannel({ voters: [{ nodeId: 1, host: '127.0.0.1', port: 1 }, { nodeId: 2, host: '127.0.0.1', port: 2 }], transport: net.factory, clock, defaultNumPartitions: 1, retryBackoffMs: 100, retryBackoffMaxMs: 100, retryTimeoutMs: 350 });
    cleanups.push(() => channel.close());
    const call = channel.createTopic({ name: 't', numPartitions: 1, replicationFactor: 1 }).catch((e: unknown) => e);
    for (let i = 0; i < 3; i++) {
      await settle();
      clock.advance(100);
    }
    await settle();
    // The last wait is cut to what is left of the deadline.
    expect(clock.pending()).toEqual([50]);
    clock.advance(50);
    const error = (await call) as TributaryError;
    expect(error.code).toBe('REQUEST_TIMED_OUT');
    // Both voters were tried, in turn.
    expect(net.attempts()).toBe(5);
  });

  it('a close ends a back-off at once', async () => {
    const clock = new ManualClock();
    const channel = new ControllerChannel({ voters: [{ nodeId: 1, host: '127.0.0.1', port: 1 }], transport: flaky(Number.POSITIVE_INFINITY).factory, clock, defaultNumPartitions: 1 });
    const call = channel.brokerHeartbeat({ nodeId: 1, brokerEpoch: 0, currentMetadataOffset: 0, wantFence: false, wantShutdown: false }).catch((e: unknown) => e);
    await settle();
    expect(clock.pending()).toHaveLength(1);
    await channel.close();
    expect(((await call) as TributaryError).code).toBe('ERR_CONNECTION_CLOSED');
  });
});
