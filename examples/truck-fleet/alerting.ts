/**
 * The alerting logic of the truck fleet: speeding and leaving the geofence. Pure
 * functions over a truck's reports, so the consumer and its test share one definition.
 *
 * It keeps per-truck state (was the truck speeding / outside at its last report?) to alert
 * on changes only. That state is why the topic is keyed by truck id: all of one truck's
 * reports are in one partition, so they reach the one group member that owns that
 * partition, in order, and its state is always complete.
 */
import { DEPOT, distanceKm, type TruckPosition } from '../shared/trucks.ts';

/** One alert. */
export interface Alert {
  readonly kind: 'speeding' | 'left-geofence';
  readonly truckId: string;
  readonly at: number;
  readonly detail: string;
}

/** Alerting settings. */
export interface AlertingOptions {
  /** Above this, a truck is speeding. Default 110 km/h. */
  readonly speedLimitKmh?: number;
  /** Radius around the depot trucks should stay in. Default 10 km. */
  readonly geofenceKm?: number;
}

/** Creates the alerting state machine: feed it each truck's reports in order. */
export function createAlerting(options: AlertingOptions = {}) {
  const limit = options.speedLimitKmh ?? 110;
  const radius = options.geofenceKm ?? 10;
  const speeding = new Set<string>();
  const outside = new Set<string>();
  return {
    /** The alerts this report raises (none most of the time). */
    onPosition(p: TruckPosition): Alert[] {
      const alerts: Alert[] = [];
      if (p.speedKmh > limit && !speeding.has(p.truckId)) {
        alerts.push({ kind: 'speeding', truckId: p.truckId, at: p.at, detail: `${p.speedKmh} km/h (limit ${limit})` });
      }
      if (p.speedKmh > limit) speeding.add(p.truckId);
      else speeding.delete(p.truckId);
      const km = distanceKm(DEPOT, p);
      if (km > radius && !outside.has(p.truckId)) {
        alerts.push({ kind: 'left-geofence', truckId: p.truckId, at: p.at, detail: `${km.toFixed(1)} km from the depot (fence ${radius} km)` });
      }
      if (km > radius) outside.add(p.truckId);
      else outside.delete(p.truckId);
      return alerts;
    },
  };
}
