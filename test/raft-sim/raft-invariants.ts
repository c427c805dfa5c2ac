/**
 * The rules of the Raft simulation, over plain observations of a quorum (so that they can
 * be tested on hand-made states, and a checker that passes is known to be able to fail).
 * Raft's safety properties (the Raft paper, §5.2–5.4; Kafka's RaftEventSimulationTest) as
 * rules on what the voters say and what their disks hold:
 *
 * - `one-leader-per-epoch` (election safety): over the whole run, every node and every
 *   incarnation, one epoch has at most one leader — counting both nodes that lead and the
 *   leader other nodes name for that epoch.
 * - `epochs-grow`: a node's epoch never goes back, across its restarts too (the election
 *   state is persisted before it is acted on).
 * - `hw-monotonic`: a node's high watermark never goes back within an incarnation; the
 *   highest high watermark any node ever reported is the committed prefix, which at the
 *   end the converged quorum must still reach.
 * - `committed-consistent`: every committed batch any node reads is the same batch (offset,
 *   epoch, records) at that offset as every other node reads and every acknowledged append
 *   put there; a node's own disk holds what it reports committed.
 * - `log-matching`: two voters' logs (read from their disks) that hold a batch with the same
 *   offset and epoch hold the same records there and the same batches before it.
 * - `leader-completeness`: a leader of epoch E holds every batch committed in an epoch
 *   below E. When a batch was committed is bounded by the epoch of the node that reported
 *   it committed (a node learns a high watermark only from a leader of its epoch or an
 *   earlier one); an acknowledged append was committed in the epoch it was appended in.
 * - `committed-durable`: every committed batch is on the disks of a majority of voters
 *   (crashed ones included: a disk outlives its process) — what a machine crash may not take.
 * - `ack-kept`: an acknowledged append is committed at the offset it was acknowledged with,
 *   with its records; at the end it is in the converged committed log.
 * - `liveness` (at the end only): after healing and a quiet period, one leader at the
 *   highest epoch that every voter names, and every voter's committed log the same.
 */

/** One batch of a log or of a committed read, as the checker compares them. */
export interface BatchView {
  readonly baseOffset: number;
  /** One past the batch's last offset. */
  readonly nextOffset: number;
  /** The quorum epoch the batch was written in. */
  readonly epoch: number;
  /** The records, as canonical text (JSON). */
  readonly records: string;
}

/** One look at one node. */
export interface NodeView {
  readonly nodeId: number;
  /** Bumped by every crash. */
  readonly incarnation: number;
  readonly voter: boolean;
  /** False while the node is down: only its disk (`log`) is looked at. */
  readonly running: boolean;
  /** leader().epoch. */
  readonly epoch: number;
  /** leader().nodeId (-1: none known). */
  readonly leaderId: number;
  /** The high watermark its reads report. */
  readonly highWatermark: number;
  /** Committed batches newly read since the last look of this incarnation. */
  readonly committed: readonly BatchView[];
  /** Its metadata log as on its disk now (voters). */
  readonly log: readonly BatchView[];
}

/** An append that resolved (the batch was committed). */
export interface AckView {
  readonly nodeId: number;
  /** The epoch the leader appended it at (the append's expected epoch). */
  readonly epoch: number;
  readonly baseOffset: number;
  /** One past its last offset (base offset + records). */
  readonly nextOffset: number;
  readonly records: string;
}

/** A broken rule. */
export interface RaftViolation {
  readonly rule:
    | 'one-leader-per-epoch'
    | 'epochs-grow'
    | 'hw-monotonic'
    | 'committed-consistent'
    | 'log-matching'
    | 'leader-completeness'
    | 'committed-durable'
    | 'ack-kept'
    | 'liveness';
  readonly detail: string;
}

/** A batch in the cluster's committed log and the lowest epoch that saw it committed. */
interface CommittedBatch {
  readonly batch: BatchView;
  /** An upper bound of the epoch of the leader that committed it. */
  committedBy: number;
  /** Where the checker first learned of it (for reports). */
  readonly source: string;
}

/** `epoch:offset..end` of a batch (for reports). */
export function describeBatch(b: BatchView): string {
  return `[${b.baseOffset}..${b.nextOffset - 1} e${b.epoch} ${b.records.length > 60 ? `${b.records.slice(0, 57)}...` : b.records}]`;
}

/** A log as runs of epochs: `e1@0-4,e3@5-9` (for reports). */
export function epochRuns(log: readonly BatchView[]): string {
  const runs: string[] = [];
  let run: { epoch: number; first: number; last: number } | undefined;
  for (const b of log) {
    if (run && run.epoch === b.epoch && run.last + 1 === b.baseOffset) run.last = b.nextOffset - 1;
    else {
      if (run) runs.push(`e${run.epoch}@${run.first}-${run.last}`);
      run = { epoch: b.epoch, first: b.baseOffset, last: b.nextOffset - 1 };
    }
  }
  if (run) runs.push(`e${run.epoch}@${run.first}-${run.last}`);
  return runs.join(',') || 'empty';
}

const same = (a: BatchView, b: BatchView) => a.baseOffset === b.baseOffset && a.nextOffset === b.nextOffset && a.epoch === b.epoch && a.records === b.records;

/** Checks the rules over a sequence of observations; remembers what it needs across them. */
export class RaftInvariantChecker {
  // epoch → the leader named for it, and who named it first.
  readonly #leaders = new Map<number, { leaderId: number; by: string }>();
  // node → highest epoch seen (all incarnations).
  readonly #epochs = new Map<number, number>();
  // node#incarnation → its high watermark.
  readonly #hws = new Map<string, number>();
  // base offset → the committed batch there.
  readonly #committed = new Map<number, CommittedBatch>();
  readonly #acks: AckView[] = [];
  #maxHighWatermark = 0;
  #maxHighWatermarkBy = '';
  readonly #voters: readonly number[];

  constructor(voters: readonly number[]) {
    this.#voters = voters;
  }

  /** The highest high watermark any node has reported. */
  get maxHighWatermark(): number {
    return this.#maxHighWatermark;
  }

  /** How many batches are known committed. */
  get committedBatches(): number {
    return this.#committed.size;
  }

  /** Acknowledged appends so far. */
  get acks(): readonly AckView[] {
    return this.#acks;
  }

  /**
   * A node names a leader for an epoch (an onLeaderChange notification, or a look): checks
   * election safety and that its epoch does not go back.
   */
  leaderSeen(nodeId: number, incarnation: number, leaderId: number, epoch: number): RaftViolation[] {
    const out: RaftViolation[] = [];
    const who = `node ${nodeId}#${incarnation}`;
    const before = this.#epochs.get(nodeId) ?? 0;
    if (epoch < before) out.push({ rule: 'epochs-grow', detail: `${who} is at epoch ${epoch} after epoch ${before}` });
    else this.#epochs.set(nodeId, epoch);
    if (leaderId >= 0) {
      const known = this.#leaders.get(epoch);
      if (known === undefined) this.#leaders.set(epoch, { leaderId, by: who });
      else if (known.leaderId !== leaderId) {
        out.push({ rule: 'one-leader-per-epoch', detail: `epoch ${epoch}: ${who} names leader ${leaderId}, ${known.by} named leader ${known.leaderId}` });
      }
      if (leaderId === nodeId && !this.#voters.includes(nodeId)) out.push({ rule: 'one-leader-per-epoch', detail: `${who} leads epoch ${epoch} but is not a voter` });
    }
    return out;
  }

  /** An append resolved: its batch is committed at `baseOffset`, in the epoch it was appended at. */
  recordAck(ack: AckView): RaftViolation[] {
    this.#acks.push(ack);
    const batch: BatchView = { baseOffset: ack.baseOffset, nextOffset: ack.nextOffset, epoch: ack.epoch, records: ack.records };
    const known = this.#committed.get(ack.baseOffset);
    if (known) {
      if (known.batch.records !== ack.records || known.batch.epoch !== ack.epoch || known.batch.nextOffset !== ack.nextOffset) {
        return [{ rule: 'ack-kept', detail: `append acknowledged by node ${ack.nodeId} at offset ${ack.baseOffset} epoch ${ack.epoch} with ${ack.records}, but ${known.source} committed ${describeBatch(known.batch)} there` }];
      }
      known.committedBy = Math.min(known.committedBy, ack.epoch);
      return [];
    }
    this.#committed.set(ack.baseOffset, { batch, committedBy: ack.epoch, source: `the ack of node ${ack.nodeId}` });
    return [];
  }

  /** Checks one look at every node. */
  check(views: readonly NodeView[]): RaftViolation[] {
    const out: RaftViolation[] = [];
    for (const v of views) if (v.running) out.push(...this.leaderSeen(v.nodeId, v.incarnation, v.leaderId, v.epoch));
    for (const v of views) if (v.running) out.push(...this.#checkHighWatermark(v), ...this.#learnCommitted(v));
    out.push(...this.#checkLogMatching(views));
    for (const v of views) if (v.running && v.voter && v.leaderId === v.nodeId) out.push(...this.#checkCompleteness(v));
    out.push(...this.#checkDurable(views));
    for (const v of views) if (v.running && v.voter) out.push(...this.#checkOwnLog(v));
    return out;
  }

  /**
   * The end, after healing and a quiet period: one leader that every running voter names,
   * every voter's log the same below one high watermark that reaches the committed prefix,
   * and every acknowledged append in it.
   */
  final(views: readonly NodeView[]): RaftViolation[] {
    const out = this.check(views);
    const voters = views.filter((v) => v.voter);
    const down = voters.filter((v) => !v.running);
    if (down.length > 0) out.push({ rule: 'liveness', detail: `voters ${down.map((v) => v.nodeId).join(',')} are not running at the end` });
    const up = voters.filter((v) => v.running);
    const leaders = up.filter((v) => v.leaderId === v.nodeId);
    if (leaders.length !== 1) {
      out.push({ rule: 'liveness', detail: `${leaders.length} voters lead at the end: ${up.map((v) => `${v.nodeId}:e${v.epoch}L${v.leaderId}`).join(' ')}` });
      return out;
    }
    const leader = leaders[0]!;
    const disagree = up.filter((v) => v.leaderId !== leader.nodeId || v.epoch !== leader.epoch);
    if (disagree.length > 0) out.push({ rule: 'liveness', detail: `leader ${leader.nodeId} at epoch ${leader.epoch}, but ${disagree.map((v) => `${v.nodeId} names ${v.leaderId} at ${v.epoch}`).join(', ')}` });
    const hws = new Set(up.map((v) => v.highWatermark));
    if (hws.size !== 1) out.push({ rule: 'liveness', detail: `the voters' high watermarks differ: ${up.map((v) => `${v.nodeId}:${v.highWatermark}`).join(' ')}` });
    if (leader.highWatermark < this.#maxHighWatermark) {
      out.push({ rule: 'hw-monotonic', detail: `the converged high watermark ${leader.highWatermark} is below ${this.#maxHighWatermark}, which ${this.#maxHighWatermarkBy} reported` });
    }
    const prefix = (log: readonly BatchView[]) => log.filter((b) => b.nextOffset <= leader.highWatermark);
    const reference = prefix(leader.log);
    for (const v of up) {
      const mine = prefix(v.log);
      if (mine.length !== reference.length || mine.some((b, i) => !same(b, reference[i]!))) {
        out.push({ rule: 'liveness', detail: `node ${v.nodeId}'s log below the high watermark ${leader.highWatermark} is ${epochRuns(mine)}, the leader's ${epochRuns(reference)}` });
      }
    }
    const byOffset = new Map(reference.map((b) => [b.baseOffset, b]));
    for (const ack of this.#acks) {
      const b = byOffset.get(ack.baseOffset);
      if (!b || b.records !== ack.records || b.nextOffset !== ack.nextOffset) {
        out.push({ rule: 'ack-kept', detail: `append acknowledged by node ${ack.nodeId} at offset ${ack.baseOffset} epoch ${ack.epoch} (${ack.records}) is not in the final committed log (there: ${b ? describeBatch(b) : 'nothing'})` });
      }
    }
    return out;
  }

  #checkHighWatermark(v: NodeView): RaftViolation[] {
    const key = `${v.nodeId}#${v.incarnation}`;
    const before = this.#hws.get(key) ?? 0;
    this.#hws.set(key, Math.max(before, v.highWatermark));
    if (v.highWatermark > this.#maxHighWatermark) {
      this.#maxHighWatermark = v.highWatermark;
      this.#maxHighWatermarkBy = `node ${key}`;
    }
    if (v.highWatermark < before) return [{ rule: 'hw-monotonic', detail: `node ${key}'s high watermark went from ${before} to ${v.highWatermark}` }];
    return [];
  }

  #learnCommitted(v: NodeView): RaftViolation[] {
    const out: RaftViolation[] = [];
    for (const b of v.committed) {
      if (b.nextOffset > v.highWatermark) out.push({ rule: 'committed-consistent', detail: `node ${v.nodeId}#${v.incarnation} reads ${describeBatch(b)} as committed above its high watermark ${v.highWatermark}` });
      const known = this.#committed.get(b.baseOffset);
      if (!known) {
        this.#committed.set(b.baseOffset, { batch: b, committedBy: v.epoch, source: `node ${v.nodeId}#${v.incarnation} at epoch ${v.epoch}` });
        continue;
      }
      known.committedBy = Math.min(known.committedBy, v.epoch);
      if (!same(known.batch, b)) {
        out.push({
          rule: known.source.startsWith('the ack') ? 'ack-kept' : 'committed-consistent',
          detail: `node ${v.nodeId}#${v.incarnation} reads ${describeBatch(b)} as committed at offset ${b.baseOffset}; ${known.source} had ${describeBatch(known.batch)}`,
        });
      }
    }
    return out;
  }

  // Raft's log matching property, pairwise over the voters' disks.
  #checkLogMatching(views: readonly NodeView[]): RaftViolation[] {
    const out: RaftViolation[] = [];
    const voters = views.filter((v) => v.voter);
    for (let i = 0; i < voters.length; i++) {
      for (let j = i + 1; j < voters.length; j++) {
        const a = voters[i]!;
        const b = voters[j]!;
        const bByOffset = new Map(b.log.map((x) => [x.baseOffset, x]));
        const start = Math.max(a.log[0]?.baseOffset ?? 0, b.log[0]?.baseOffset ?? 0);
        // The last batch both hold with the same offset and epoch: everything up to it must match.
        let anchor = -1;
        for (let k = a.log.length - 1; k >= 0; k--) {
          const x = a.log[k]!;
          if (x.baseOffset < start) break;
          const y = bByOffset.get(x.baseOffset);
          if (y && y.epoch === x.epoch) {
            anchor = x.baseOffset;
            break;
          }
        }
        if (anchor < 0) continue;
        const aPrefix = a.log.filter((x) => x.baseOffset >= start && x.baseOffset <= anchor);
        const bPrefix = b.log.filter((x) => x.baseOffset >= start && x.baseOffset <= anchor);
        const differs = aPrefix.length !== bPrefix.length || aPrefix.some((x, k) => !same(x, bPrefix[k]!));
        if (differs) {
          const k = aPrefix.findIndex((x, n) => !bPrefix[n] || !same(x, bPrefix[n]!));
          out.push({
            rule: 'log-matching',
            detail: `nodes ${a.nodeId} and ${b.nodeId} both hold a batch at offset ${anchor} of epoch ${aPrefix[aPrefix.length - 1]?.epoch}, but their logs differ at or before it: ` +
              `${a.nodeId} has ${aPrefix[k] ? describeBatch(aPrefix[k]!) : 'nothing'}, ${b.nodeId} has ${bPrefix[k] ? describeBatch(bPrefix[k]!) : 'nothing'} (logs ${epochRuns(a.log)} | ${epochRuns(b.log)})`,
          });
        }
      }
    }
    return out;
  }

  #checkCompleteness(leader: NodeView): RaftViolation[] {
    const out: RaftViolation[] = [];
    const start = leader.log[0]?.baseOffset ?? 0;
    const mine = new Map(leader.log.map((b) => [b.baseOffset, b]));
    for (const c of this.#committed.values()) {
      if (c.committedBy >= leader.epoch || c.batch.baseOffset < start) continue;
      const b = mine.get(c.batch.baseOffset);
      if (!b || b.records !== c.batch.records || b.epoch !== c.batch.epoch) {
        out.push({
          rule: 'leader-completeness',
          detail: `node ${leader.nodeId}#${leader.incarnation} leads epoch ${leader.epoch} without ${describeBatch(c.batch)}, committed by epoch ${c.committedBy} (${c.source}); it has ${b ? describeBatch(b) : 'nothing'} there (log ${epochRuns(leader.log)})`,
        });
        if (out.length >= 3) break;
      }
    }
    return out;
  }

  #checkDurable(views: readonly NodeView[]): RaftViolation[] {
    const voters = views.filter((v) => v.voter);
    if (voters.length === 0) return [];
    const majority = Math.floor(voters.length / 2) + 1;
    const maps = voters.map((v) => ({ v, byOffset: new Map(v.log.map((b) => [b.baseOffset, b])), start: v.log[0]?.baseOffset ?? 0 }));
    const out: RaftViolation[] = [];
    for (const c of this.#committed.values()) {
      // A log that starts later (a snapshot took its prefix) counts as holding it.
      const holders = maps.filter(({ byOffset, start }) => {
        if (c.batch.baseOffset < start) return true;
        const b = byOffset.get(c.batch.baseOffset);
        return b !== undefined && b.records === c.batch.records && b.epoch === c.batch.epoch;
      });
      if (holders.length < majority) {
        out.push({
          rule: 'committed-durable',
          detail: `${describeBatch(c.batch)} (committed per ${c.source}) is on ${holders.length} of ${voters.length} voters' disks (${holders.map((h) => h.v.nodeId).join(',') || 'none'}): ${maps.map(({ v }) => `${v.nodeId}:${epochRuns(v.log)}`).join(' ')}`,
        });
        if (out.length >= 3) break;
      }
    }
    return out;
  }

  // A voter's disk holds the committed batches below its own high watermark.
  #checkOwnLog(v: NodeView): RaftViolation[] {
    const start = v.log[0]?.baseOffset ?? 0;
    const mine = new Map(v.log.map((b) => [b.baseOffset, b]));
    for (const c of this.#committed.values()) {
      if (c.batch.nextOffset > v.highWatermark || c.batch.baseOffset < start) continue;
      const b = mine.get(c.batch.baseOffset);
      if (!b || b.records !== c.batch.records || b.epoch !== c.batch.epoch) {
        return [{ rule: 'committed-consistent', detail: `node ${v.nodeId}#${v.incarnation} reports high watermark ${v.highWatermark} but its disk has ${b ? describeBatch(b) : 'nothing'} where ${describeBatch(c.batch)} is committed (log ${epochRuns(v.log)})` }];
      }
    }
    return [];
  }
}
