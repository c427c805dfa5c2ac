/**
 * The clock and timers the group coordinator runs on: the shared {@link Clock}
 * (core/clock.ts), under the name the group options have always used.
 */
import { type Clock, systemClock } from '../../clock.ts';

/** A clock with one-shot timers (see core/clock.ts). */
export type GroupTimers = Clock;

/** The runtime's clock and timers. */
export const systemTimers: GroupTimers = systemClock;
