/**
 * The checker of the process tests: judges a recorded History against the promises of an
 * acks=all, idempotent, replicated log and lists every broken one. Pure (no I/O), so its
 * own tests feed it synthetic histories.
 */
import type { History, SeenRecord } from './history.ts';

/** One broken promise. */
export type Violation =
  /** An acknowledged value is nowhere in the final log. */
  | { readonly kind: 'lost'; readonly value: string; readonly producer: string; readonly partition: number; readonly offset: number }
  /** An acknowledged value is in the final log, but not at the partition/offset it was acknowledged at. */
  | { readonly kind: 'moved'; readonly value: string; readonly producer: string; readonly acked: { partition: number; offset: number }; readonly found: ReadonlyArray<{ partition: number; offset: number }> }
  /** Two different values claim one offset (two acknowledgements, or the final log itself). */
  | { readonly kind: 'offset-conflict'; readonly partition: number; readonly offset: number; readonly values: readonly string[]; readonly where: 'acks' | 'final-log' }
  /** A value a consumer saw is no longer at that offset in the final log. */
  | { readonly kind: 'consumed-lost'; readonly consumer: string; readonly value: string; readonly partition: number; readonly offset: number; readonly now: string | null }
  /** One value stored at more than one offset (idempotence broken). */
  | { readonly kind: 'duplicate'; readonly value: string; readonly at: ReadonlyArray<{ partition: number; offset: number }> }
  /** A value in the log that no producer ever sent. */
  | { readonly kind: 'phantom'; readonly value: string; readonly partition: number; readonly offset: number }
  /** A group's committed offset went back. */
  | { readonly kind: 'commit-regressed'; readonly group: string; readonly partition: number; readonly from: number; readonly to: number }
  /** A partition not back to a full ISR (or without a leader) after healing. */
  | { readonly kind: 'isr-not-full'; readonly partition: number; readonly replicas: readonly number[]; readonly isr: readonly number[]; readonly leader: number };

/** What the checker concluded. */
export interface CheckResult {
  readonly ok: boolean;
  readonly violations: readonly Violation[];
  /** Counts for the report: values acknowledged, failed, unknown; records in the final log; consumed. */
  readonly summary: { acked: number; failed: number; unknown: number; finalRecords: number; consumed: number; commits: number };
  /** A human-readable report: the summary, then each violation on its own line. */
  readonly report: string;
}

const at = (r: { partition: number; offset: number }) => `${r.partition}@${r.offset}`;

/** Judges `history`; never throws on a bad history, it reports it. */
export function checkHistory(history: History): CheckResult {
  const violations: Violation[] = [];
  const logAt = new Map<string, string[]>();
  const logOf = new Map<string, SeenRecord[]>();
  for (const r of history.finalLog) {
    const here = logAt.get(at(r)) ?? [];
    if (!here.includes(r.value)) here.push(r.value);
    logAt.set(at(r), here);
    const places = logOf.get(r.value) ?? [];
    if (!places.some((p) => p.partition === r.partition && p.offset === r.offset)) places.push(r);
    logOf.set(r.value, places);
  }

  for (const [key, values] of logAt) {
    if (values.length > 1) {
      const [partition, offset] = key.split('@').map(Number) as [number, number];
      violations.push({ kind: 'offset-conflict', partition, offset, values, where: 'final-log' });
    }
  }

  // Acknowledged values: at their offset, and no two acknowledgements for one offset.
  const ackedAt = new Map<string, string[]>();
  for (const p of history.produced) {
    if (p.kind !== 'acked') continue;
    const claims = ackedAt.get(at(p)) ?? [];
    if (!claims.includes(p.value)) claims.push(p.value);
    ackedAt.set(at(p), claims);
    const places = logOf.get(p.value) ?? [];
    if (places.length === 0) violations.push({ kind: 'lost', value: p.value, producer: p.producer, partition: p.partition, offset: p.offset });
    else if (!places.some((r) => r.partition === p.partition && r.offset === p.offset)) {
      violations.push({ kind: 'moved', value: p.value, producer: p.producer, acked: { partition: p.partition, offset: p.offset }, found: places.map((r) => ({ partition: r.partition, offset: r.offset })) });
    }
  }
  for (const [key, values] of ackedAt) {
    if (values.length > 1) {
      const [partition, offset] = key.split('@').map(Number) as [number, number];
      violations.push({ kind: 'offset-conflict', partition, offset, values, where: 'acks' });
    }
  }

  // What consumers saw must still be there, at the same offset.
  const reported = new Set<string>();
  for (const c of history.consumed) {
    const now = logAt.get(at(c));
    if (now?.includes(c.value)) continue;
    const key = `${c.value}|${at(c)}`;
    if (reported.has(key)) continue;
    reported.add(key);
    violations.push({ kind: 'consumed-lost', consumer: c.consumer, value: c.value, partition: c.partition, offset: c.offset, now: now?.[0] ?? null });
  }

  const sent = new Set(history.produced.map((p) => p.value));
  for (const [value, places] of logOf) {
    if (places.length > 1) violations.push({ kind: 'duplicate', value, at: places.map((r) => ({ partition: r.partition, offset: r.offset })) });
    if (!sent.has(value)) for (const r of places) violations.push({ kind: 'phantom', value, partition: r.partition, offset: r.offset });
  }

  // Committed offsets, per group and partition, in observation order.
  const series = new Map<string, Array<{ offset: number; at: number }>>();
  for (const c of history.commits) {
    const key = `${c.group}\u0000${c.partition}`;
    series.set(key, [...(series.get(key) ?? []), { offset: c.offset, at: c.at }]);
  }
  for (const [key, points] of series) {
    const [group, partition] = key.split('\u0000') as [string, string];
    points.sort((a, b) => a.at - b.at);
    let highest = -1;
    for (const p of points) {
      if (p.offset < highest) violations.push({ kind: 'commit-regressed', group, partition: Number(partition), from: highest, to: p.offset });
      highest = Math.max(highest, p.offset);
    }
  }

  for (const p of history.finalIsr) {
    const full = p.leader >= 0 && p.replicas.length > 0 && p.replicas.every((r) => p.isr.includes(r));
    if (!full) violations.push({ kind: 'isr-not-full', partition: p.partition, replicas: p.replicas, isr: p.isr, leader: p.leader });
  }

  const summary = {
    acked: history.produced.filter((p) => p.kind === 'acked').length,
    failed: history.produced.filter((p) => p.kind === 'failed').length,
    unknown: history.produced.filter((p) => p.kind === 'unknown').length,
    finalRecords: history.finalLog.length,
    consumed: history.consumed.length,
    commits: history.commits.length,
  };
  return { ok: violations.length === 0, violations, summary, report: formatReport(history.topic, summary, violations) };
}

/** One line per violation, grouped under a summary line. */
function formatReport(topic: string, summary: CheckResult['summary'], violations: readonly Violation[]): string {
  const head = `topic ${topic}: ${summary.acked} acknowledged, ${summary.failed} failed, ${summary.unknown} unknown; final log ${summary.finalRecords} records; ${summary.consumed} consumed; ${summary.commits} commit observations`;
  if (violations.length === 0) return `${head}\nno violations`;
  const counts = new Map<string, number>();
  for (const v of violations) counts.set(v.kind, (counts.get(v.kind) ?? 0) + 1);
  const lines = violations.map((v) => `  ${describeViolation(v)}`);
  // A large loss is summarised past the first hundred lines.
  const shown = lines.length > 100 ? [...lines.slice(0, 100), `  … ${lines.length - 100} more`] : lines;
  return `${head}\n${violations.length} violations (${[...counts].map(([k, n]) => `${k}: ${n}`).join(', ')})\n${shown.join('\n')}`;
}

/** A violation in one line. */
export function describeViolation(v: Violation): string {
  switch (v.kind) {
    case 'lost':
      return `LOST: ${v.value} (producer ${v.producer}) acknowledged at ${at(v)}, not in the final log`;
    case 'moved':
      return `MOVED: ${v.value} (producer ${v.producer}) acknowledged at ${at(v.acked)}, found at ${v.found.map(at).join(', ')}`;
    case 'offset-conflict':
      return `OFFSET CONFLICT (${v.where}): ${at(v)} holds ${v.values.join(' and ')}`;
    case 'consumed-lost':
      return `CONSUMED THEN LOST: ${v.consumer} saw ${v.value} at ${at(v)}; the final log has ${v.now ?? 'nothing'} there`;
    case 'duplicate':
      return `DUPLICATE: ${v.value} at ${v.at.map(at).join(', ')}`;
    case 'phantom':
      return `PHANTOM: ${v.value} at ${at(v)} was never sent`;
    case 'commit-regressed':
      return `COMMIT WENT BACK: group ${v.group} partition ${v.partition} from ${v.from} to ${v.to}`;
    case 'isr-not-full':
      return `ISR NOT FULL: partition ${v.partition} replicas [${v.replicas.join(',')}] isr [${v.isr.join(',')}] leader ${v.leader}`;
  }
}
