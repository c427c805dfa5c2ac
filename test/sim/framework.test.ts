/**
 * The simulation's parts on their own: the seeded generator, the disk's machine crash,
 * and the network (frames to a real broker under virtual time, delays, drops, one-way
 * partitions, crashes).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { systemClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/contracts/logger.ts';
import { ApiKey } from '../../core/protocol/api-keys.ts';
import { encodeBatchSync } from '../../core/records/record-batch.ts';
import type { Transport } from '../../core/client/transport.ts';
import { SeededRandom } from './seeded-random.ts';
import { SimDisk } from './sim-disk.ts';
import { SimNetwork } from './sim-network.ts';

const enc = new TextEncoder();
const batch = (value: string) => encodeBatchSync({ records: [{ key: null, value: enc.encode(value), headers: [] }], now: 0 });
const info = (offset: number) => ({ baseOffset: offset, lastOffset: offset, maxTimestamp: 0, recordCount: 1 });

describe('SeededRandom', () => {
  it('repeats a seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const r = new SeededRandom(seed);
      return [r.next(), r.int(0, 100), r.chance(0.5), r.pick(['a', 'b', 'c']), r.shuffle([1, 2, 3, 4]), r.fork().next(), r.uuid()];
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    const r = new SeededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(3, 5);
      expect(n >= 3 && n <= 5).toBe(true);
    }
  });
});

describe('SimDisk', () => {
  it('a process crash keeps what was written; a machine crash keeps only what was synced', async () => {
    const disk = new SimDisk(1);
    let storage = disk.open();
    await storage.open();
    let log = await storage.openPartition('t', 0);
    await log.append(batch('a'), info(0));
    await log.sync();
    await log.append(batch('b'), info(1));
    await storage.metadata.put('k', enc.encode('v'));
    disk.kill();
    await expect(log.append(batch('c'), info(2))).rejects.toThrow(/crashed/);
    await expect(log.read(0, 1000)).rejects.toThrow(/crashed/);
    storage = disk.open();
    log = await storage.openPartition('t', 0);
    expect(log.endOffset()).toBe(2);
    const cut = await disk.powerLoss();
    expect(cut).toEqual([{ topic: 't', partition: 0, from: 2, to: 1 }]);
    storage = disk.open();
    log = await storage.openPartition('t', 0);
    expect(log.endOffset()).toBe(1);
    expect(await storage.metadata.get('k')).toEqual(enc.encode('v'));
    // A sync append and a clean close are durable too; a truncation stays truncated.
    await log.append(batch('b2'), info(1), { sync: true });
    await log.append(batch('c2'), info(2));
    await storage.close();
    storage = disk.open();
    log = await storage.openPartition('t', 0);
    await log.truncateTo(1);
    await disk.powerLoss();
    expect((await disk.open().openPartition('t', 0)).endOffset()).toBe(1);
  });
});

describe('SimNetwork', () => {
  let broker: Broker;
  let network: SimNetwork;

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] });
    broker = new Broker({ storage: new SimDisk(1).open(), handlers: DEFAULT_HANDLERS, nodeId: 1, clusterId: 'sim', retentionCheckIntervalMs: 0 });
    await broker.start();
    network = new SimNetwork(systemClock, new SeededRandom(1), { dropRate: 0, minDelayMs: 5, maxDelayMs: 20 });
    network.register(1, () => broker);
  });

  afterEach(async () => {
    await broker.close();
    vi.useRealTimers();
  });

  const options = { clientId: 'sim', requestTimeoutMs: 1000, connectTimeoutMs: 500, logger: silentLogger };

  async function connect(from: number): Promise<Transport> {
    const pending = network.transportFor(from)({ host: 'n1', port: 1, nodeId: 1 }, options);
    await vi.advanceTimersByTimeAsync(100);
    return pending;
  }

  function produce(t: Transport, value: string) {
    return t.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'events', partitionData: [{ index: 0, records: batch(value) }] }] } as never);
  }

  it('carries Kafka frames to the broker and back after virtual delays, in order per connection', async () => {
    const t = await connect(100);
    const started = Date.now();
    const answers = Promise.all([produce(t, 'a'), produce(t, 'b'), produce(t, 'c')]);
    await vi.advanceTimersByTimeAsync(200);
    const r = (await answers) as Array<{ responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: number }> }> }>;
    expect(r.map((x) => x.responses[0]!.partitionResponses[0]!.baseOffset)).toEqual([0, 1, 2]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(10);
    expect(network.stats.messages).toBeGreaterThan(6);
  });

  it('a one-way partition holds requests until the caller times out; healed, a new connection works', async () => {
    const t = await connect(100);
    network.block(100, 1);
    const lost = produce(t, 'x');
    const failed = expect(lost).rejects.toMatchObject({ code: 'ERR_REQUEST_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(1100);
    await failed;
    expect(t.connected).toBe(false);
    // Only the answer's direction blocked: the request lands (offset taken), the caller times out.
    network.unblock(100, 1);
    const t2 = await connect(100);
    network.block(1, 100);
    const noAnswer = expect(produce(t2, 'y')).rejects.toMatchObject({ code: 'ERR_REQUEST_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(1100);
    await noAnswer;
    network.heal();
    const t3 = await connect(100);
    const next = produce(t3, 'z');
    await vi.advanceTimersByTimeAsync(100);
    expect(((await next) as { responses: Array<{ partitionResponses: Array<{ baseOffset: number }> }> }).responses[0]!.partitionResponses[0]!.baseOffset).toBe(1);
  });

  it('a lost message resets the connection; a crashed sender can send nothing more', async () => {
    const t = await connect(100);
    network.faults.dropRate = 1;
    const dropped = expect(produce(t, 'a')).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    await vi.advanceTimersByTimeAsync(50);
    await dropped;
    network.faults.dropRate = 0;
    const factory = network.transportFor(100);
    network.crash(100);
    const refused = expect(factory({ host: 'n1', port: 1, nodeId: 1 }, options)).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    await vi.advanceTimersByTimeAsync(50);
    await refused;
  });

  it('message calls (controller, metadata log) pass the same faults', async () => {
    const alive = () => true;
    const ok = network.rpc(100, 1, alive, 1000, async () => ({ n: 1 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(await ok).toEqual({ n: 1 });
    let ran = 0;
    network.block(1, 100);
    const answerLost = expect(network.rpc(100, 1, alive, 1000, async () => ++ran)).rejects.toMatchObject({ code: 'ERR_REQUEST_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(1100);
    await answerLost;
    expect(ran).toBe(1);
    network.heal();
    network.block(100, 1);
    const requestLost = expect(network.rpc(100, 1, alive, 1000, async () => ++ran)).rejects.toMatchObject({ code: 'ERR_REQUEST_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(1100);
    await requestLost;
    expect(ran).toBe(1);
  });
});
