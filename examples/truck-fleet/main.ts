/**
 * The truck fleet — the seed scenario. Trucks report their position every 20 seconds
 * (simulated: one tick every 20 ms) to the topic `truck-positions`, 10 partitions, keyed
 * by truck id. Two consumer groups read the same stream, each at its own pace and with its
 * own committed offsets:
 *
 * - `dashboard` (2 members, 5 partitions each): keeps the latest position of every truck;
 * - `alerting` (1 member, all 10 partitions): flags speeding and trucks leaving the geofence.
 *
 * A record is read once per group, not once in all: groups are independent subscribers,
 * members within a group share the partitions.
 *
 * Run: npm run example -- truck-fleet
 */
import { createBroker, type GroupConsumer } from '../../mod.ts';
import { isMain } from '../shared/is-main.ts';
import type { Log } from '../shared/log.ts';
import { simulateFleet, type TruckPosition } from '../shared/trucks.ts';
import { waitFor } from '../shared/wait.ts';
import { type Alert, createAlerting } from './alerting.ts';
import { createDashboard } from './dashboard.ts';

const TOPIC = 'truck-positions';

/** Fleet size and duration (the test runs a smaller fleet). */
export interface TruckFleetOptions {
  readonly trucks?: number;
  readonly ticks?: number;
  /** Real milliseconds per simulated 20-second tick. */
  readonly tickMs?: number;
}

/** What the example found, for its test. */
export interface TruckFleetResult {
  readonly produced: TruckPosition[];
  /** Records each group processed (over all its members). */
  readonly dashboardProcessed: number;
  readonly alertingProcessed: number;
  /** Partitions per dashboard member. */
  readonly dashboardAssignment: number[][];
  readonly alertingAssignment: number[];
  readonly alerts: Alert[];
  /** The dashboard's view: latest report per truck. */
  readonly latest: TruckPosition[];
  /** Lag per group after stopping (committed offsets vs. end of the log), summed over partitions. */
  readonly lag: { readonly dashboard: number; readonly alerting: number };
}

/** Runs the example, printing through `log`. */
export async function main(log: Log = console.log, options: TruckFleetOptions = {}): Promise<TruckFleetResult> {
  const trucks = options.trucks ?? 20;
  const ticks = options.ticks ?? 50;
  const tickMs = options.tickMs ?? 20;
  // Group settings for a quick demo (Kafka's defaults wait seconds for members to gather).
  const broker = await createBroker({ groups: { initialRebalanceDelayMs: 50, minSessionTimeoutMs: 100 } });
  const client = broker.client({ serializers: { key: 'string', value: 'json' } });
  const consumers: GroupConsumer[] = [];
  try {
    await client.admin().createTopics({ topics: [{ topic: TOPIC, numPartitions: 10 }] });
    const member = (groupId: string) => {
      const c = client.consumer({ groupId, heartbeatIntervalMs: 50, sessionTimeoutMs: 5000, autoCommitIntervalMs: 200, maxWaitMs: 50 });
      consumers.push(c);
      return c;
    };

    // --- the dashboard group: two members share the ten partitions ----------------------------
    const dashboard = createDashboard();
    const dashboardMembers = [member('dashboard'), member('dashboard')];
    // --- the alerting group: one member gets all ten partitions ------------------------------
    const alerting = createAlerting({ speedLimitKmh: 110, geofenceKm: 10 });
    const alerts: Alert[] = [];
    let alertingProcessed = 0;
    const alertingMember = member('alerting');

    for (const c of consumers) await c.subscribe({ topics: [TOPIC], fromBeginning: true });
    await Promise.all([
      ...dashboardMembers.map((c) => c.run({ eachMessage: ({ message }) => dashboard.update(message.value as TruckPosition) })),
      alertingMember.run({
        eachMessage: ({ message }) => {
          alertingProcessed++;
          for (const alert of alerting.onPosition(message.value as TruckPosition)) {
            alerts.push(alert);
            log(`  ALERT ${alert.kind.padEnd(13)} ${alert.truckId} at ${new Date(alert.at).toISOString().slice(11, 19)}: ${alert.detail}`);
          }
        },
      }),
    ]);
    // Two dashboard members join one after the other: wait until they split the partitions.
    await waitFor(() => dashboardMembers.every((c) => c.group().assignment.length === 5), 'the dashboard members to share the partitions');
    const dashboardAssignment = dashboardMembers.map((c) => c.group().assignment.map((p) => p.partition).sort((a, b) => a - b));
    const alertingAssignment = alertingMember.group().assignment.map((p) => p.partition).sort((a, b) => a - b);
    log(`${trucks} trucks report every 20 s (simulated: every ${tickMs} ms) to "${TOPIC}", 10 partitions, keyed by truck id.`);
    log(`dashboard group: member 1 has partitions ${dashboardAssignment[0]!.join(',')}; member 2 has ${dashboardAssignment[1]!.join(',')}`);
    log(`alerting group:  its one member has partitions ${alertingAssignment.join(',')}`);
    log('');

    // --- the trucks ---------------------------------------------------------------------------
    const fleet = simulateFleet(trucks);
    const producer = client.producer({ lingerMs: 5 });
    const produced: TruckPosition[] = [];
    for (let t = 0; t < ticks; t++) {
      const reports = fleet.tick();
      produced.push(...reports);
      // The key decides the partition: one truck's reports stay in order in one partition.
      await producer.send({ topic: TOPIC, messages: reports.map((p) => ({ key: p.truckId, value: p, timestamp: p.at })) });
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
    await waitFor(() => dashboard.count >= produced.length && alertingProcessed >= produced.length, 'both groups to catch up');

    log('');
    log(`Dashboard after ${ticks} reports per truck (${produced.length} records):`);
    for (const line of dashboard.render()) log(line);

    // Stopping commits each member's processed offsets (auto-commit is on by default).
    await Promise.all(consumers.map((c) => c.stop()));
    const lagOf = async (groupId: string) => {
      const [topic] = await client.admin().fetchOffsets({ groupId, topics: [TOPIC] });
      return topic!.partitions.reduce((sum, p) => sum + (p.lag ?? p.high), 0);
    };
    const lag = { dashboard: await lagOf('dashboard'), alerting: await lagOf('alerting') };
    log('');
    log(`Each group read all ${produced.length} records: dashboard ${dashboard.count}, alerting ${alertingProcessed}; ${alerts.length} alerts.`);
    log(`Committed offsets: dashboard lag ${lag.dashboard}, alerting lag ${lag.alerting} — each group keeps its own place in the stream.`);
    return {
      produced,
      dashboardProcessed: dashboard.count,
      alertingProcessed,
      dashboardAssignment,
      alertingAssignment,
      alerts,
      latest: dashboard.latest(),
      lag,
    };
  } finally {
    await Promise.all(consumers.map((c) => c.stop()));
    await client.close();
    await broker.close();
  }
}

if (isMain(import.meta.url)) await main();
