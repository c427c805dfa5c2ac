/**
 * Crash safety of the LevelDB adapter: a child process appends with `sync: true` to two
 * partitions (and writes metadata) and prints each acknowledged write; the parent kills
 * it with SIGKILL at a random moment, reopens the database and checks that every
 * acknowledged append is there byte for byte, that every batch returned is whole with a
 * valid CRC, in offset order, and that the log continues where it stopped. 24 rounds
 * over the same database, so later rounds also recover from earlier crashes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { levelStorage } from '../../adapters/level/index.ts';
import { batchSizeAt, readBatchHeader, verifyBatchCrc } from '../../core/records/batch-header.ts';
import { CRASH_PARTITIONS, CRASH_TOPIC, crashBatch, parseAck, type CrashAppend } from './level-crash-fixtures.ts';

const ROUNDS = 24;
const root = resolve(import.meta.dirname, '../..');
const child = join(import.meta.dirname, 'level-crash-child.ts');
const location = mkdtempSync(join(tmpdir(), 'tributary-level-crash-'));
afterAll(() => rmSync(location, { recursive: true, force: true }));

interface Round {
  acks: CrashAppend[];
  metadataEnds: number[];
  stderr: string;
  signal: NodeJS.Signals | null;
  lockedCode?: string;
}

/** A child that has loaded its modules and waits for `go` before opening the database. */
interface Child {
  /** Lets the child open the database; resolves with the round once it was killed. */
  run(killAfterMs: number, probeLock: boolean): Promise<Round>;
}

/** Starts a child process; it loads while the previous round is still being checked. */
function startChild(seed: number): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, location, String(seed)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  const round: Round = { acks: [], metadataEnds: [], stderr: '', signal: null };
  let onReady: () => void = () => {};
  const closed = new Promise<Round>((resolvePromise, reject) => {
    proc.on('error', reject);
    // 'close' (not 'exit') so that every line the child wrote has been read.
    proc.on('close', (_code, signal) => {
      round.signal = signal;
      resolvePromise(round);
    });
  });
  let buffered = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (s: string) => (round.stderr += s));
  proc.stdout.on('data', (s: string) => {
    buffered += s;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const ack = parseAck(line);
      if (ack) round.acks.push(ack);
      else if (line.startsWith('M ')) round.metadataEnds.push(Number(line.slice(2)));
      else if (line === 'ready') onReady();
    }
  });
  proc.stdin.on('error', () => {}); // the child may already be gone
  return {
    run(killAfterMs, probeLock) {
      onReady = () => {
        const kill = () => proc.kill('SIGKILL');
        if (!probeLock) {
          setTimeout(kill, killAfterMs);
          return;
        }
        // While the child holds the database, a second open must fail clearly.
        levelStorage({ location })
          .open()
          .then(
            () => (round.lockedCode = 'opened'),
            (error: { code?: string }) => (round.lockedCode = error.code),
          )
          .finally(() => setTimeout(kill, killAfterMs));
      };
      proc.stdin.write('go\n');
      return closed;
    },
  };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('level storage: crash safety', () => {
  it(`keeps every acknowledged sync append across ${ROUNDS} SIGKILLs`, { timeout: 240_000 }, async () => {
    let seed = 0x2545f491;
    const rand = () => {
      seed ^= seed << 13;
      seed >>>= 0;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      return seed;
    };
    const acked = new Map<string, CrashAppend>(); // `${partition}/${baseOffset}` → spec
    let lastMetadataEnd = 0;
    let totalAcks = 0;
    let recoveries = 0;
    const ends = new Array<number>(CRASH_PARTITIONS).fill(0);

    // Two children load ahead (starting node and tsx is most of a round's time).
    const queue: Array<{ seed: number; child: Child }> = [];
    const startNext = () => {
      const seed = rand() || 1;
      queue.push({ seed, child: startChild(seed) });
    };
    startNext();
    startNext();
    for (let r = 0; r < ROUNDS; r++) {
      const killAfter = 5 + (rand() % 250); // ms after the child is ready
      const { seed: seedOfRound, child: current } = queue.shift()!;
      const round = await current.run(killAfter, r === 0);
      if (r + 2 < ROUNDS) startNext();
      const context = `round ${r} (child seed ${seedOfRound}, kill after ${killAfter} ms)`;
      expect(round.signal, `${context}: the child must die by SIGKILL, stderr:\n${round.stderr}`).toBe('SIGKILL');
      if (r === 0) expect(round.lockedCode, 'opening a database the child holds').toBe('ERR_STORAGE_LOCKED');
      for (const a of round.acks) acked.set(`${a.partition}/${a.baseOffset}`, a);
      totalAcks += round.acks.length;
      if (round.metadataEnds.length > 0) lastMetadataEnd = round.metadataEnds.at(-1)!;

      const storage = levelStorage({ location });
      await storage.open();
      try {
        for (let p = 0; p < CRASH_PARTITIONS; p++) {
          const log = await storage.openPartition(CRASH_TOPIC, p);
          recoveries += log.recovery.length;
          // The log never goes backwards: everything acknowledged, or seen, before stays.
          expect(log.endOffset(), `${context}: end offset of partition ${p}`).toBeGreaterThanOrEqual(ends[p]!);
          ends[p] = log.endOffset();
          const result = await log.read(log.startOffset(), 1 << 30);
          const all = new Uint8Array(result.bytes);
          let at = 0;
          for (const chunk of result.chunks) {
            all.set(chunk, at);
            at += chunk.length;
          }
          const found = new Map<number, Uint8Array>();
          let pos = 0;
          let previousLast = -1;
          while (pos < all.length) {
            const size = batchSizeAt(all, pos);
            expect(size > 0 && pos + size <= all.length, `${context}: whole batch at byte ${pos}`).toBe(true);
            const header = readBatchHeader(all, pos);
            verifyBatchCrc(all, pos, header); // throws CORRUPT_MESSAGE on a bad batch
            expect(header.baseOffset, `${context}: batches in offset order`).toBeGreaterThan(previousLast);
            previousLast = header.baseOffset + header.lastOffsetDelta;
            found.set(header.baseOffset, all.subarray(pos, pos + size));
            pos += size;
          }
          // This round's acknowledgements every round; all of them after the last crash.
          for (const a of r === ROUNDS - 1 ? acked.values() : round.acks) {
            if (a.partition !== p) continue;
            const stored = found.get(a.baseOffset);
            expect(stored, `${context}: acknowledged batch ${p}/${a.baseOffset} must be present`).toBeDefined();
            expect(bytesEqual(stored!, crashBatch(a).bytes), `${context}: batch ${p}/${a.baseOffset} byte-exact`).toBe(true);
          }
        }
        const stored = await storage.metadata.get('crash/p0-end');
        if (lastMetadataEnd > 0) expect(Number(new TextDecoder().decode(stored)), `${context}: acknowledged metadata`).toBeGreaterThanOrEqual(lastMetadataEnd);
      } finally {
        await storage.close();
      }
    }
    // The test means something only if the child got writes acknowledged.
    expect(totalAcks).toBeGreaterThan(ROUNDS);
    console.log(`level crash test: ${ROUNDS} rounds, ${totalAcks} acknowledged appends, ${recoveries} recovery events, ends ${ends.join('/')}`);
  });
});
