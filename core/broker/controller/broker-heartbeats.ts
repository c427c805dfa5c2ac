/**
 * Broker sessions as the active controller tracks them (Kafka's BrokerHeartbeatManager):
 * each heartbeat (and the registration) starts a new session of `sessionTimeoutMs`; a
 * session that runs out calls `onExpired` so the controller fences the broker. Sessions
 * live only in the active controller's memory: a new controller starts every registered
 * broker a fresh session, as Kafka's does.
 */
import type { Clock } from '../../clock.ts';

interface Session {
  deadline: number;
  timer: unknown;
}

/** Session timers per broker. */
export class BrokerHeartbeats {
  readonly #clock: Clock;
  readonly #sessionTimeoutMs: number;
  readonly #onExpired: (nodeId: number) => void;
  readonly #sessions = new Map<number, Session>();

  /**
   * @param sessionTimeoutMs broker.session.timeout.ms
   * @param onExpired called (once per session) when broker `nodeId` did not heartbeat in time
   */
  constructor(clock: Clock, sessionTimeoutMs: number, onExpired: (nodeId: number) => void) {
    this.#clock = clock;
    this.#sessionTimeoutMs = sessionTimeoutMs;
    this.#onExpired = onExpired;
  }

  /** Broker `nodeId` was heard from: its session starts again. */
  touch(nodeId: number): void {
    const previous = this.#sessions.get(nodeId);
    if (previous) this.#clock.clearTimeout(previous.timer);
    const session: Session = { deadline: this.#clock.now() + this.#sessionTimeoutMs, timer: undefined };
    session.timer = this.#clock.setTimeout(() => {
      if (this.#sessions.get(nodeId) !== session) return;
      this.#sessions.delete(nodeId);
      this.#onExpired(nodeId);
    }, this.#sessionTimeoutMs);
    this.#sessions.set(nodeId, session);
  }

  /** True while broker `nodeId` has a session that has not run out. */
  hasLiveSession(nodeId: number): boolean {
    const session = this.#sessions.get(nodeId);
    return session !== undefined && session.deadline > this.#clock.now();
  }

  /** Ends broker `nodeId`'s session without calling `onExpired`. */
  remove(nodeId: number): void {
    const session = this.#sessions.get(nodeId);
    if (!session) return;
    this.#clock.clearTimeout(session.timer);
    this.#sessions.delete(nodeId);
  }

  /** Ends every session (the controller is no longer active). */
  clear(): void {
    for (const session of this.#sessions.values()) this.#clock.clearTimeout(session.timer);
    this.#sessions.clear();
  }
}
