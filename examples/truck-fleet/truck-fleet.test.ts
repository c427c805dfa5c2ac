import { expect, it } from 'vitest';
import { collectLog } from '../shared/log.ts';
import { type Alert, createAlerting } from './alerting.ts';
import { main } from './main.ts';

it('truck-fleet: the dashboard and alerting groups each read the whole stream, independently', async () => {
  const { log, lines } = collectLog();
  const r = await main(log, { trucks: 20, ticks: 40, tickMs: 2 });
  expect(r.produced).toHaveLength(800);
  // Each group processed every record once.
  expect(r.dashboardProcessed).toBe(800);
  expect(r.alertingProcessed).toBe(800);
  // Two dashboard members split the 10 partitions; the single alerting member has them all.
  expect(r.dashboardAssignment.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(r.dashboardAssignment.map((p) => p.length)).toEqual([5, 5]);
  expect(r.alertingAssignment).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

  // The dashboard shows each truck's last report: keyed partitions kept each truck in order.
  const last = new Map(r.produced.map((p) => [p.truckId, p]));
  expect(r.latest).toEqual([...last.values()].sort((a, b) => (a.truckId < b.truckId ? -1 : 1)));

  // The alerts are exactly those the alerting logic raises on each truck's reports in order.
  const expected: Alert[] = [];
  const alerting = createAlerting({ speedLimitKmh: 110, geofenceKm: 10 });
  for (const p of r.produced) expected.push(...alerting.onPosition(p));
  const byTruck = (alerts: Alert[]) => [...alerts].sort((a, b) => a.truckId.localeCompare(b.truckId) || a.at - b.at || a.kind.localeCompare(b.kind));
  expect(byTruck(r.alerts)).toEqual(byTruck(expected));
  expect(expected.length).toBeGreaterThan(0);

  // Both groups committed everything they read.
  expect(r.lag).toEqual({ dashboard: 0, alerting: 0 });
  expect(lines.filter((l) => l.includes('ALERT'))).toHaveLength(r.alerts.length);
});
