/**
 * The dashboard of the truck fleet: the latest position of every truck. A dashboard only
 * needs the newest report per truck, which is why it can be a separate group with its own
 * pace: if it falls behind, alerting does not wait for it, and the other way round.
 */
import type { TruckPosition } from '../shared/trucks.ts';

/** Creates the dashboard state: latest report and report count per truck. */
export function createDashboard() {
  const latest = new Map<string, TruckPosition>();
  const reports = new Map<string, number>();
  return {
    update(p: TruckPosition): void {
      // Reports of one truck arrive in order (one partition), so the last one is the newest.
      latest.set(p.truckId, p);
      reports.set(p.truckId, (reports.get(p.truckId) ?? 0) + 1);
    },
    /** How many reports the dashboard has taken in. */
    get count(): number {
      let n = 0;
      for (const c of reports.values()) n += c;
      return n;
    },
    /** The latest reports, by truck id. */
    latest(): TruckPosition[] {
      return [...latest.values()].sort((a, b) => (a.truckId < b.truckId ? -1 : 1));
    },
    /** Table lines for printing. */
    render(): string[] {
      return this.latest().map(
        (p) => `  ${p.truckId}  ${p.lat.toFixed(4)}, ${p.lon.toFixed(4).padStart(7)}  ${p.speedKmh.toFixed(1).padStart(5)} km/h  ${String(reports.get(p.truckId)).padStart(3)} reports`,
      );
    },
  };
}
