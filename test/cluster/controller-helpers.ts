/**
 * Helpers for the controller tests: a manual clock whose timers fire only when a test
 * advances it, and a controller over a MemoryQuorum with three registered brokers.
 */
import type { Clock } from '../../core/clock.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { QuorumController, type QuorumControllerOptions } from '../../core/broker/controller/quorum-controller.ts';
import { MemoryQuorum } from '../../core/broker/quorum/memory-quorum.ts';

/** A clock that moves only when told to; due timers fire in deadline order. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].callback();
    }
    this.#now = end;
  }
}

/** What {@link startController} gives. */
export interface ControllerFixture {
  readonly clock: ManualClock;
  readonly quorum: MemoryQuorum;
  readonly controller: QuorumController;
  /** A new controller for node `nodeId` over the same quorum. */
  controllerFor(nodeId: number, overrides?: Partial<QuorumControllerOptions>): QuorumController;
}

/** A controller for node 100, leading a fresh MemoryQuorum. */
export function startController(overrides: Partial<QuorumControllerOptions> = {}): ControllerFixture {
  const clock = new ManualClock();
  const quorum = new MemoryQuorum({ clock, leaderId: 100 });
  const controllerFor = (nodeId: number, more: Partial<QuorumControllerOptions> = {}) =>
    new QuorumController({ quorum, nodeId, clock, logger: silentLogger, numPartitions: 3, defaultReplicationFactor: 3, sessionTimeoutMs: 9000, ...overrides, ...more });
  return { clock, quorum, controller: controllerFor(100), controllerFor };
}

/** Registers broker `nodeId` (cluster "c1", incarnation "inc-<nodeId>"); returns its epoch. */
export async function register(controller: QuorumController, nodeId: number, incarnationId = `inc-${nodeId}`): Promise<number> {
  const result = await controller.registerBroker({ nodeId, clusterId: 'c1', incarnationId, host: `h${nodeId}`, port: 9000 + nodeId, rack: null });
  if (result.errorCode !== 0) throw new Error(`registration of ${nodeId} failed: ${result.errorCode} ${result.errorMessage}`);
  return result.brokerEpoch;
}

/** One heartbeat of a caught-up broker that wants to be unfenced. */
export function heartbeat(controller: QuorumController, nodeId: number, brokerEpoch: number, more: { wantShutdown?: boolean; wantFence?: boolean; offset?: number } = {}) {
  return controller.brokerHeartbeat({
    nodeId,
    brokerEpoch,
    currentMetadataOffset: more.offset ?? Number.MAX_SAFE_INTEGER,
    wantFence: more.wantFence ?? false,
    wantShutdown: more.wantShutdown ?? false,
  });
}

/** Registers and unfences brokers `ids`; returns their epochs by id. */
export async function unfencedBrokers(controller: QuorumController, ids: readonly number[]): Promise<Map<number, number>> {
  const epochs = new Map<number, number>();
  for (const id of ids) epochs.set(id, await register(controller, id));
  for (const id of ids) await heartbeat(controller, id, epochs.get(id)!);
  return epochs;
}
