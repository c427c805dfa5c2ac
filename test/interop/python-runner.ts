/**
 * Runs the Python interop scripts in test/interop/python/ with Debian's /usr/bin/python3
 * (where python3-kafka and python3-confluent-kafka are installed; the `python3` on PATH
 * may be another interpreter without them). Each script reads one JSON line of arguments
 * on stdin and prints JSON lines (events) on stdout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Broker } from '../../core/broker/broker.ts';
import { type BatchHeader, batchSizeAt, readBatchHeader } from '../../core/records/batch-header.ts';

/** The interpreter the Debian packages install into. */
export const PYTHON = '/usr/bin/python3';

const SCRIPTS = fileURLToPath(new URL('./python/', import.meta.url));
/** No __pycache__ left in the work tree by the shared helper module. */
const ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };

/** One JSON line a script printed. */
export type PyEvent = Record<string, any> & { event: string };

/** Whether /usr/bin/python3 can run `code` (say, import a module); false when Python is missing. */
export function pythonCan(code: string): boolean {
  try {
    return spawnSync(PYTHON, ['-c', code], { stdio: 'ignore', timeout: 20_000 }).status === 0;
  } catch {
    return false;
  }
}

function parseLines(text: string): PyEvent[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as PyEvent);
}

/**
 * Runs `script` with `args` and resolves its events; rejects on a non-zero exit (with its
 * stderr) or when it outlives `timeoutMs` (then it is killed; the scripts also stop themselves).
 */
export function runPython(script: string, args: unknown, timeoutMs = 45_000): Promise<PyEvent[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPTS + script], { stdio: ['pipe', 'pipe', 'pipe'], cwd: SCRIPTS, env: ENV });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(parseLines(out));
      else reject(new Error(`${script} exited ${code ?? signal}\nstdout:\n${out}\nstderr:\n${err}`));
    });
    child.stdin.end(JSON.stringify(args) + '\n');
  });
}

/** A long-running script (a group member): its events so far, and ways to wait and stop. */
export interface PythonProcess {
  /** Every event printed so far, in order. */
  readonly events: PyEvent[];
  /**
   * Resolves once an event satisfies `match` (checked on each new line and every 50 ms);
   * rejects when the process exits first or after `timeoutMs`.
   */
  waitFor(what: string, match: (e: PyEvent, all: PyEvent[]) => boolean, timeoutMs?: number): Promise<PyEvent>;
  /** Sends "stop" and resolves the events once the script exited cleanly. */
  stop(): Promise<PyEvent[]>;
  /** Kills the process (cleanup after a failure). */
  kill(): void;
}

/** Starts `script` with `args` and keeps it running until `stop()`. */
export function startPython(script: string, args: unknown): PythonProcess {
  const child = spawn(PYTHON, [SCRIPTS + script], { stdio: ['pipe', 'pipe', 'pipe'], cwd: SCRIPTS, env: ENV });
  const events: PyEvent[] = [];
  let partial = '';
  let err = '';
  let exit: { code: number | null; signal: string | null } | null = null;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout.on('data', (d) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim() !== '') events.push(JSON.parse(line) as PyEvent);
    wake();
  });
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => {
    child.on('close', (code, signal) => {
      exit = { code, signal };
      wake();
      resolve();
    });
  });
  child.stdin.write(JSON.stringify(args) + '\n');

  const describe = () => `${script} (exit ${exit?.code ?? exit?.signal ?? 'none yet'})\nevents:\n${events.map((e) => JSON.stringify(e)).join('\n')}\nstderr:\n${err}`;

  return {
    events,
    waitFor(what, match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find((e) => match(e, events));
          if (hit) return done(() => resolve(hit));
          if (exit) return done(() => reject(new Error(`${what}: process ended first: ${describe()}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${what}: not seen in ${timeoutMs} ms: ${describe()}`))), timeoutMs);
        // `match` may look at other processes too, whose output does not wake this one.
        const poll = setInterval(check, 50);
        const done = (then: () => void) => {
          clearTimeout(timer);
          clearInterval(poll);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      child.stdin.end('stop\n');
      await exited;
      const final = exit as { code: number | null; signal: string | null } | null;
      if (final?.code !== 0) throw new Error(`stop: ${describe()}`);
      return events;
    },
    kill() {
      if (!exit) child.kill('SIGKILL');
    },
  };
}

/** base64 of UTF-8 text or bytes (how the scripts exchange keys, values and header values). */
export function b64(data: string | Uint8Array): string {
  return Buffer.from(typeof data === 'string' ? data : data).toString('base64');
}

/** One record the scripts produce: base64 bytes, null partition/timestamp for the client's choice. */
export interface PyRecord {
  key: string | null;
  value: string | null;
  headers: Array<[string, string]>;
  partition: number | null;
  timestamp: number | null;
}

/**
 * A varied set of records: keyed ones (binary and text values, repeated and empty header
 * values, explicit timestamps) partitioned by the client, keyless ones on fixed
 * partitions with the client's clock, an empty value, and a tombstone.
 */
export function sampleRecords(tag: string, partitions: number): PyRecord[] {
  const records: PyRecord[] = [];
  const binary = new Uint8Array(256).map((_, i) => i);
  for (let i = 0; i < 12; i++) {
    records.push({
      key: b64(`${tag}-key-${i}`),
      value: i % 3 === 0 ? b64(binary) : b64(`${tag} value ${i} ${'ü'.repeat(i * 7)}`),
      headers: [['trace', b64(`t-${i}`)], ['dup', b64('a')], ['dup', b64('b')], ['empty', '']],
      partition: null,
      timestamp: 1_700_000_000_000 + i * 1000,
    });
  }
  for (let i = 0; i < 4; i++) records.push({ key: null, value: b64(`${tag} keyless ${i}`), headers: [], partition: i % partitions, timestamp: null });
  records.push({ key: b64(`${tag}-empty`), value: '', headers: [], partition: 0, timestamp: null });
  records.push({ key: b64(`${tag}-tombstone`), value: null, headers: [['why', b64('deleted')]], partition: 0, timestamp: null });
  return records;
}

/** Headers of every stored batch of `topic`/`partition`, read straight from the broker's log. */
export async function storedBatches(broker: Broker, topic: string, partition: number): Promise<BatchHeader[]> {
  const state = broker.topics.get(topic)!.partitions[partition]!;
  const read = await state.read(state.logStartOffset, 64 << 20, true);
  const bytes = Buffer.concat(read.chunks);
  const headers: BatchHeader[] = [];
  for (let pos = 0; pos < bytes.length; pos += batchSizeAt(bytes, pos)) headers.push(readBatchHeader(bytes, pos));
  return headers;
}

/** Kafka's compression ids (the low 3 bits of a batch's attributes). */
export const CODEC_IDS: Readonly<Record<string, number>> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** The events a script printed under one name. */
export function eventsNamed(events: PyEvent[], name: string): PyEvent[] {
  return events.filter((e) => e.event === name);
}

/** The single event a script printed under `name` (the test fails when there are more or none). */
export function onlyEvent(events: PyEvent[], name: string): PyEvent {
  const hits = eventsNamed(events, name);
  expect(hits, `exactly one "${name}" event`).toHaveLength(1);
  return hits[0]!;
}
