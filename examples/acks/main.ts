/**
 * Acks — what the producer waits for before it calls a record sent, and what each
 * choice risks. The broker runs in a child process here, so that it can crash for real
 * (SIGKILL) and restart on the same data directory.
 *
 * - acks=0: the producer writes the request to the socket and moves on; the broker sends
 *   no answer at all. Fastest, and blind: a record the broker rejects, or never gets to
 *   read before it dies, is lost without anyone knowing.
 * - acks=1: the leader answers once the batch is appended to its log. A process crash after
 *   the answer keeps the record (it is in the log files, in the OS page cache at least; a
 *   power cut before the flush is another matter, which the broker's `flushPolicy` covers);
 *   a failure before the answer is reported to the producer, which can retry.
 * - acks=all (-1): the leader answers once every in-sync replica has the batch. In a
 *   cluster this is what survives losing the leader. With ONE broker the in-sync set is
 *   just the leader, so acks=all and acks=1 behave the same here: the difference needs
 *   replicas, which this example cannot show honestly with a single broker.
 *
 * Run: npm run example -- acks
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { createClient, type Client, type Producer } from '../../mod.ts';
import { isMain } from '../shared/is-main.ts';
import type { Log } from '../shared/log.ts';
import { readTopic } from '../shared/read-topic.ts';

/** What the example found, for its test. */
export interface AcksResult {
  /** acks=0: a record too big for the topic; send() resolved anyway (true) and nothing was stored. */
  readonly rejectedButResolved: boolean;
  readonly rejectedStored: number;
  /** acks=1 and acks=all: the same record fails with this error code. */
  readonly rejectedCodes: { readonly acks1: string; readonly acksAll: string };
  /** Crash with acks=0: sends the producer thought succeeded, and records the broker had after restart. */
  readonly acks0: { readonly believedSent: number; readonly stored: number };
  /** Crash with acks=1: acknowledged records, how many of them were found after restart, and records stored. */
  readonly acks1: { readonly acknowledged: number; readonly acknowledgedFound: number; readonly stored: number; readonly failedAfterCrash: boolean };
}

const BROKER_SCRIPT = fileURLToPath(new URL('./broker-process.ts', import.meta.url));

interface RunningBroker {
  readonly child: ChildProcess;
  readonly address: string;
}

/** Starts the broker process and waits for its `listening host:port` line. */
function startBroker(dir: string, port = 0): Promise<RunningBroker> {
  const child = spawn(process.execPath, ['--import', 'tsx', BROKER_SCRIPT, dir, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += String(chunk);
      const m = /listening (\S+)/.exec(out);
      if (m) resolve({ child, address: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`broker process exited with ${code} before listening`)));
  });
}

/** SIGKILL: the process gets no chance to finish requests or flush anything. */
async function crash(broker: RunningBroker): Promise<void> {
  const exited = new Promise((resolve) => broker.child.once('exit', resolve));
  broker.child.kill('SIGKILL');
  await exited;
}

async function stop(broker: RunningBroker): Promise<void> {
  const exited = new Promise((resolve) => broker.child.once('exit', resolve));
  broker.child.kill('SIGTERM');
  await exited;
}

/** Records stored in partition 0 of `topic` (its high watermark: one partition, starting at 0). */
async function storedCount(client: Client, topic: string): Promise<number> {
  const [p] = await client.admin().fetchTopicOffsets(topic);
  return p!.high;
}

function codeOf(error: unknown): string {
  return (error as { code?: string }).code ?? String(error);
}

/** Runs the example, printing through `log`. */
export async function main(log: Log = console.log): Promise<AcksResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-acks-'));
  let broker = await startBroker(dir);
  const port = Number(broker.address.split(':').pop());
  // No retries: this example wants to see each failure as it happens.
  const connect = () => createClient({ brokers: [broker.address], serializers: { value: 'string' }, retry: { retries: 0 } });
  let client = connect();
  try {
    // --- 1. A record the broker refuses --------------------------------------------------
    await client.admin().createTopics({
      topics: [
        { topic: 'small-records', numPartitions: 1, configs: { 'max.message.bytes': '1024' } },
        { topic: 'acks-0', numPartitions: 1 },
        { topic: 'acks-1', numPartitions: 1 },
      ],
    });
    const big = 'x'.repeat(4096);
    log('1. A 4 KiB record to a topic that accepts at most 1 KiB per batch:');
    let rejectedButResolved = false;
    try {
      await client.producer({ acks: 0 }).send({ topic: 'small-records', messages: [{ value: big }] });
      rejectedButResolved = true;
      log('   acks=0   send() resolved: the producer believes it was sent');
    } catch (error) {
      log(`   acks=0   failed with ${codeOf(error)}`);
    }
    const rejectedCodes = { acks1: '', acksAll: '' };
    for (const acks of [1, 'all'] as const) {
      try {
        await client.producer({ acks }).send({ topic: 'small-records', messages: [{ value: big }] });
        log(`   acks=${acks} send() resolved (unexpected)`);
      } catch (error) {
        rejectedCodes[acks === 1 ? 'acks1' : 'acksAll'] = codeOf(error);
        log(`   acks=${String(acks).padEnd(3)} send() failed with ${codeOf(error)}: the producer knows, and can tell you`);
      }
    }
    const rejectedStored = await storedCount(client, 'small-records');
    log(`   records stored in small-records: ${rejectedStored} — the acks=0 record is gone, and nobody was told`);

    // --- 2. The broker crashes while acks=0 records stream in ------------------------------
    log('');
    log('2. acks=0: send 2,000 records as fast as possible, SIGKILL the broker, keep sending until an error shows up:');
    const fast = client.producer({ acks: 0, lingerMs: 0 });
    let believedSent = 0;
    let killed: Promise<void> | undefined;
    for (;;) {
      try {
        await fast.send({ topic: 'acks-0', messages: [{ value: `record ${believedSent}` }] });
        believedSent++;
      } catch (error) {
        log(`   send #${believedSent + 1} failed (${codeOf(error)}): only now does the producer notice`);
        break;
      }
      if (believedSent === 2000) killed = crash(broker);
      if (killed && believedSent % 50 === 0) await killed; // let the socket close reach us
    }
    await killed;
    await client.close().catch(() => {});
    broker = await startBroker(dir, port);
    client = connect();
    const stored0 = await storedCount(client, 'acks-0');
    log(`   the producer counted ${believedSent} records as sent; after restart the broker has ${stored0}.`);
    log(`   ${believedSent - stored0} of them reached the socket but not the log: the broker died before reading them.`);

    // --- 3. The same crash with acks=1 --------------------------------------------------------
    log('');
    log('3. acks=1: send records one at a time, SIGKILL the broker after the 300th acknowledgement:');
    const careful: Producer = client.producer({ acks: 1, lingerMs: 0 });
    const acknowledged: string[] = [];
    let failedAfterCrash = false;
    for (let i = 0; ; i++) {
      try {
        await careful.send({ topic: 'acks-1', messages: [{ value: `record ${i}` }] });
        acknowledged.push(`record ${i}`);
      } catch (error) {
        failedAfterCrash = true;
        log(`   send #${i + 1} failed at once (${codeOf(error)}): the producer knows it is not stored, and could retry`);
        break;
      }
      if (acknowledged.length === 300) await crash(broker);
    }
    await client.close().catch(() => {});
    broker = await startBroker(dir, port);
    client = connect();
    const stored1 = await storedCount(client, 'acks-1');
    // Read everything back to check that each acknowledged record is really there.
    const found = new Set((await readTopic(client, 'acks-1')).map((m) => m.value as string));
    const acknowledgedFound = acknowledged.filter((v) => found.has(v)).length;
    log(`   ${acknowledged.length} acknowledged, ${acknowledgedFound} of them found after restart (${stored1} stored in all).`);
    log('   acks=1 and acks=all on this single broker behave alike: the leader is the whole in-sync set.');
    log('   In a cluster, acks=1 can still lose an acknowledged record if the leader dies before a follower copies it; acks=all cannot.');

    return {
      rejectedButResolved,
      rejectedStored,
      rejectedCodes,
      acks0: { believedSent, stored: stored0 },
      acks1: { acknowledged: acknowledged.length, acknowledgedFound, stored: stored1, failedAfterCrash },
    };
  } finally {
    await client.close().catch(() => {});
    await stop(broker).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await main();
