/**
 * The truck fleet the examples share (the seed scenario): trucks report where they are
 * and how fast they go. Positions are simulated with a seeded generator so that every run,
 * and every test, sees the same fleet.
 */

/** One position report, the value of a record keyed by `truckId`. */
export interface TruckPosition {
  readonly truckId: string;
  /** Degrees. */
  readonly lat: number;
  /** Degrees. */
  readonly lon: number;
  readonly speedKmh: number;
  /** When the truck took the reading (ms since epoch). */
  readonly at: number;
}

/** A small deterministic random source (mulberry32), so simulated fleets are repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Around Hamburg's port: where the simulated trucks start. */
export const DEPOT = Object.freeze({ lat: 53.54, lon: 9.98 });

/** Simulates `trucks` trucks driving around the depot; each `tick()` gives one report per truck. */
export function simulateFleet(trucks: number, options: { seed?: number; start?: number; intervalMs?: number } = {}) {
  const random = seededRandom(options.seed ?? 7);
  const intervalMs = options.intervalMs ?? 20_000;
  let now = options.start ?? Date.UTC(2026, 0, 5, 8, 0, 0);
  const state = Array.from({ length: trucks }, (_, i) => ({
    truckId: `truck-${String(i + 1).padStart(2, '0')}`,
    lat: DEPOT.lat + (random() - 0.5) * 0.1,
    lon: DEPOT.lon + (random() - 0.5) * 0.1,
    heading: random() * 2 * Math.PI,
    speedKmh: 40 + random() * 40,
  }));
  return {
    /** The next report of every truck, `intervalMs` of simulated time after the last. */
    tick(): TruckPosition[] {
      now += intervalMs;
      return state.map((t) => {
        // Speed drifts, now and then someone puts their foot down; the heading wanders.
        t.speedKmh = Math.min(140, Math.max(0, t.speedKmh + (random() - 0.5) * 10 + (random() < 0.01 ? 50 : 0) - (t.speedKmh > 95 ? 20 : 0)));
        t.heading += (random() - 0.5) * 1.6;
        const km = (t.speedKmh * intervalMs) / 3_600_000;
        t.lat += (km / 111) * Math.cos(t.heading);
        t.lon += (km / (111 * Math.cos((t.lat * Math.PI) / 180))) * Math.sin(t.heading);
        return { truckId: t.truckId, lat: round(t.lat, 5), lon: round(t.lon, 5), speedKmh: round(t.speedKmh, 1), at: now };
      });
    },
  };
}

/** Great-circle distance in km (haversine). */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
