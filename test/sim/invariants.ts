/**
 * The rules the simulation checks after every step, over plain observations of the
 * cluster (so that they can be tested on hand-made states, and so that a checker that
 * passes is known to be able to fail):
 *
 * - one leader per partition and leader epoch (over the whole run, every incarnation);
 * - epochs only grow: a node's leader epoch for a partition, and the controller's leader
 *   and partition epochs, never go back;
 * - the high watermark never goes back within an epoch (per node incarnation);
 * - the logs of the in-sync replicas are identical below the leader's high watermark;
 * - acknowledged offsets never change: the current leader holds every acknowledged record
 *   at its offset, and no offset is acknowledged twice with different records.
 *
 * A node that lost its unsynced tail in a machine crash is "tainted" for a partition until
 * the controller has taken it out of the partition's ISR: Kafka's rules allow such a node
 * to sit in the ISR with less than the high watermark for a moment (it is not the data
 * acks=all relies on), so the identity rule skips it meanwhile — but it must never lead
 * with a log that lacks an acknowledged record, which the acknowledgement rule checks.
 */

/** One stored record as the checker compares them. */
export interface LogEntry {
  /** The record's value (unique per produced record in the workload). */
  readonly value: string;
  /** The partition leader epoch stamped in its batch. */
  readonly epoch: number;
}

/** What one node's replica of one partition looks like now. */
export interface ReplicaObservation {
  readonly node: number;
  /** The node's incarnation (bumped by every crash). */
  readonly incarnation: number;
  readonly topic: string;
  readonly partition: number;
  readonly role: 'leader' | 'follower';
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** The leader's ISR (maximal: with pending changes) when it leads. */
  readonly isr?: readonly number[];
  /** The leader-epoch cache as text (for failure reports only). */
  readonly epochCache?: string;
  /** The record at `offset`, undefined outside the log. */
  entry(offset: number): LogEntry | undefined;
}

/** A partition as the active controller has committed it. */
export interface ControllerPartition {
  readonly topic: string;
  readonly partition: number;
  /** -1: offline. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
}

/** One look at the cluster: the running nodes' replicas and the controller's partitions. */
export interface Observation {
  readonly replicas: readonly ReplicaObservation[];
  readonly controller: readonly ControllerPartition[];
}

/** An acknowledged record: acks=all answered with this offset. */
export interface Ack {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** A broken rule. */
export interface Violation {
  readonly rule: 'one-leader-per-epoch' | 'epochs-grow' | 'hw-monotonic' | 'isr-logs-identical' | 'ack-kept' | 'ack-unique';
  readonly detail: string;
}

const tpKey = (topic: string, partition: number) => `${topic}-${partition}`;

/** Checks the rules over a sequence of observations; keeps what it must remember between them. */
export class InvariantChecker {
  // (tp, leader epoch) → the node that led it.
  readonly #leaders = new Map<string, number>();
  // (node, tp) → highest leader epoch seen.
  readonly #nodeEpochs = new Map<string, number>();
  // tp → highest controller leader / partition epoch seen.
  readonly #controllerEpochs = new Map<string, { leaderEpoch: number; partitionEpoch: number }>();
  // (node, incarnation, tp, role, epoch) → highest high watermark seen.
  readonly #highWatermarks = new Map<string, number>();
  // tp → offset → acknowledged value.
  readonly #acks = new Map<string, Map<number, string>>();
  // (node, tp) tainted by a machine crash, until the controller takes it out of the ISR.
  readonly #tainted = new Set<string>();
  #ackCount = 0;

  /** Acknowledged records so far. */
  get ackCount(): number {
    return this.#ackCount;
  }

  /** Every acknowledged record, by partition and offset. */
  acks(): Ack[] {
    const out: Ack[] = [];
    for (const [key, offsets] of this.#acks) {
      const dash = key.lastIndexOf('-');
      for (const [offset, value] of offsets) out.push({ topic: key.slice(0, dash), partition: Number(key.slice(dash + 1)), offset, value });
    }
    return out;
  }

  /** Records an acknowledgement; an offset acknowledged before with another record is a violation. */
  recordAck(ack: Ack): Violation[] {
    const key = tpKey(ack.topic, ack.partition);
    let offsets = this.#acks.get(key);
    if (!offsets) this.#acks.set(key, (offsets = new Map()));
    const before = offsets.get(ack.offset);
    if (before !== undefined && before !== ack.value) {
      return [{ rule: 'ack-unique', detail: `${key} offset ${ack.offset} acknowledged as "${before}" and again as "${ack.value}"` }];
    }
    if (before === undefined) this.#ackCount++;
    offsets.set(ack.offset, ack.value);
    return [];
  }

  /** Node `node` lost its unsynced tail (a machine crash): tainted for these partitions. */
  taint(node: number, partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    for (const p of partitions) this.#tainted.add(`${node}/${tpKey(p.topic, p.partition)}`);
  }

  /** True while `node` is tainted for the partition. */
  isTainted(node: number, topic: string, partition: number): boolean {
    return this.#tainted.has(`${node}/${tpKey(topic, partition)}`);
  }

  /** Checks one observation. */
  check(observation: Observation): Violation[] {
    const violations: Violation[] = [];
    const controllerByTp = new Map<string, ControllerPartition>();
    for (const c of observation.controller) {
      const key = tpKey(c.topic, c.partition);
      controllerByTp.set(key, c);
      const seen = this.#controllerEpochs.get(key);
      if (seen && (c.leaderEpoch < seen.leaderEpoch || c.partitionEpoch < seen.partitionEpoch)) {
        violations.push({ rule: 'epochs-grow', detail: `controller: ${key} went from leader epoch ${seen.leaderEpoch} / partition epoch ${seen.partitionEpoch} to ${c.leaderEpoch} / ${c.partitionEpoch}` });
      }
      this.#controllerEpochs.set(key, { leaderEpoch: Math.max(c.leaderEpoch, seen?.leaderEpoch ?? -1), partitionEpoch: Math.max(c.partitionEpoch, seen?.partitionEpoch ?? -1) });
      if (c.leader >= 0) this.#claimLeader(key, c.leaderEpoch, c.leader, 'controller', violations);
      // Out of the committed ISR: a crashed node's lost tail no longer counts as in sync.
      for (const t of [...this.#tainted]) {
        const [node, tp] = t.split('/') as [string, string];
        if (tp === key && !c.isr.includes(Number(node))) this.#tainted.delete(t);
      }
    }
    for (const r of observation.replicas) {
      const key = tpKey(r.topic, r.partition);
      const nodeKey = `${r.node}/${key}`;
      const seenEpoch = this.#nodeEpochs.get(nodeKey);
      if (seenEpoch !== undefined && r.leaderEpoch < seenEpoch) {
        violations.push({ rule: 'epochs-grow', detail: `node ${r.node} (incarnation ${r.incarnation}): ${key} leader epoch went from ${seenEpoch} to ${r.leaderEpoch}` });
      }
      this.#nodeEpochs.set(nodeKey, Math.max(seenEpoch ?? -1, r.leaderEpoch));
      if (r.role === 'leader') this.#claimLeader(key, r.leaderEpoch, r.node, `node ${r.node}`, violations);
      const hwKey = `${r.node}/${r.incarnation}/${key}/${r.role}/${r.leaderEpoch}`;
      const seenHw = this.#highWatermarks.get(hwKey);
      if (seenHw !== undefined && r.highWatermark < seenHw) {
        violations.push({ rule: 'hw-monotonic', detail: `node ${r.node} (incarnation ${r.incarnation}, ${r.role}): ${key} high watermark went back from ${seenHw} to ${r.highWatermark} in leader epoch ${r.leaderEpoch}` });
      }
      this.#highWatermarks.set(hwKey, Math.max(seenHw ?? -1, r.highWatermark));
    }
    violations.push(...this.#checkLogs(observation, controllerByTp, false));
    return violations;
  }

  /**
   * The end of a run (after healing and settling): every acknowledged record is in every
   * untainted ISR member's log at its offset, below the leader's high watermark, exactly once.
   */
  final(observation: Observation): Violation[] {
    const controllerByTp = new Map(observation.controller.map((c) => [tpKey(c.topic, c.partition), c]));
    return this.#checkLogs(observation, controllerByTp, true);
  }

  #claimLeader(key: string, epoch: number, node: number, who: string, violations: Violation[]): void {
    const leaderKey = `${key}@${epoch}`;
    const holder = this.#leaders.get(leaderKey);
    if (holder === undefined) this.#leaders.set(leaderKey, node);
    else if (holder !== node) violations.push({ rule: 'one-leader-per-epoch', detail: `${key} leader epoch ${epoch}: ${who} says node ${node} leads, node ${holder} led it before` });
  }

  #checkLogs(observation: Observation, controllerByTp: ReadonlyMap<string, ControllerPartition>, final: boolean): Violation[] {
    const violations: Violation[] = [];
    const byTp = new Map<string, ReplicaObservation[]>();
    for (const r of observation.replicas) {
      const key = tpKey(r.topic, r.partition);
      let list = byTp.get(key);
      if (!list) byTp.set(key, (list = []));
      list.push(r);
    }
    for (const [key, c] of controllerByTp) {
      const replicas = byTp.get(key) ?? [];
      // The leader as committed, once it has taken the leadership at that epoch.
      const leader = replicas.find((r) => r.node === c.leader && r.role === 'leader' && r.leaderEpoch === c.leaderEpoch);
      if (!leader) {
        if (final) violations.push({ rule: 'ack-kept', detail: `${key}: no serving leader at the end (controller says node ${c.leader}, epoch ${c.leaderEpoch})` });
        continue;
      }
      const hw = leader.highWatermark;
      for (const member of c.isr) {
        if (member === leader.node) continue;
        if (this.#tainted.has(`${member}/${key}`)) continue;
        const follower = replicas.find((r) => r.node === member);
        if (!follower) continue; // down: nothing to compare now
        if (follower.logEndOffset < hw) {
          violations.push({ rule: 'isr-logs-identical', detail: `${key}: ISR member ${member} ends at ${follower.logEndOffset}, below the high watermark ${hw} of leader ${leader.node} (epoch ${leader.leaderEpoch})` });
          continue;
        }
        const from = Math.max(leader.logStartOffset, follower.logStartOffset);
        for (let offset = from; offset < hw; offset++) {
          const a = leader.entry(offset);
          const b = follower.entry(offset);
          if (a?.value !== b?.value || a?.epoch !== b?.epoch) {
            violations.push({ rule: 'isr-logs-identical', detail: `${key} offset ${offset} (below HW ${hw}): leader ${leader.node} has ${show(a)}, ISR member ${member} has ${show(b)}` });
            break;
          }
        }
      }
      const acked = this.#acks.get(key);
      if (!acked) continue;
      const seen = new Map<string, number>();
      const ackedValues = new Set(acked.values());
      if (final) {
        for (let offset = leader.logStartOffset; offset < leader.logEndOffset; offset++) {
          const e = leader.entry(offset);
          if (!e) continue;
          const first = seen.get(e.value);
          if (first !== undefined && ackedValues.has(e.value)) violations.push({ rule: 'ack-unique', detail: `${key}: acknowledged "${e.value}" is in the log twice (offsets ${first} and ${offset})` });
          else seen.set(e.value, offset);
        }
      }
      for (const [offset, value] of acked) {
        const e = leader.entry(offset);
        if (e?.value !== value) {
          violations.push({ rule: 'ack-kept', detail: `${key} offset ${offset}: acknowledged "${value}", leader ${leader.node} (epoch ${leader.leaderEpoch}, log end ${leader.logEndOffset}) has ${show(e)}` });
          continue;
        }
        if (!final) continue;
        if (offset >= hw) violations.push({ rule: 'ack-kept', detail: `${key} offset ${offset}: acknowledged but above the final high watermark ${hw}` });
        for (const member of c.isr) {
          if (this.#tainted.has(`${member}/${key}`)) continue;
          const f = replicas.find((r) => r.node === member);
          if (f && f.entry(offset)?.value !== value) violations.push({ rule: 'ack-kept', detail: `${key} offset ${offset}: acknowledged "${value}", ISR member ${member} has ${show(f.entry(offset))}` });
        }
      }
    }
    return violations;
  }
}

function show(e: LogEntry | undefined): string {
  return e ? `"${e.value}" (epoch ${e.epoch})` : 'nothing';
}
