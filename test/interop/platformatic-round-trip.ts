/**
 * One @platformatic/kafka round trip, free of vitest so that it also runs in a child
 * process: create a topic, produce 24 keyed and keyless records with headers in two sends
 * (acks 1 and -1) with one codec, and read them back from the beginning and from an
 * offset with Consumer.fetch (its consume() stream needs a group). The interop test runs
 * it in-process, or under Bun for zstd, which platformatic takes from node:zlib and
 * Node 20 lacks (`bun test/interop/platformatic-round-trip.ts <bootstrap> <topic> zstd`
 * prints the result as JSON).
 */
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';

/** A record as produced, or as read back. */
export interface PlatformaticRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
  headers: Array<[string, string]>;
}

/** What a round trip produced and read. */
export interface RoundTrip {
  /** What was sent, with the offsets the broker must give. */
  sent: PlatformaticRecord[];
  /** The base offset the first send was answered with. */
  firstOffset: number;
  /** Read from offset 0. */
  fromStart: PlatformaticRecord[];
  /** Read from offset 20 (inside the second batch). */
  fromOffset: PlatformaticRecord[];
}

/** Reads a partition from `offset` up to the high watermark with Consumer.fetch. */
export async function fetchAll(bootstrap: string, topic: string, partition: number, offset: number): Promise<PlatformaticRecord[]> {
  const consumer = new Consumer({ clientId: 'interop', groupId: 'unused', bootstrapBrokers: [bootstrap], retries: 1 });
  const out: PlatformaticRecord[] = [];
  try {
    let next = offset;
    for (;;) {
      const response = await consumer.fetch({
        node: 1,
        maxWaitTime: 100,
        topics: [{ topicId: topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(next), lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
      });
      const p = response.responses[0]!.partitions[0]!;
      if (p.errorCode !== 0) throw new Error(`fetch of ${topic}-${partition} at ${next} answered error ${p.errorCode}`);
      let added = 0;
      for (const batch of p.records ?? []) {
        for (const r of batch.records) {
          const o = Number(batch.firstOffset) + r.offsetDelta;
          if (o < next) continue;
          out.push({
            offset: o,
            key: r.key === null ? null : r.key.toString(),
            value: r.value === null ? null : r.value.toString(),
            timestamp: Number(batch.firstTimestamp + r.timestampDelta),
            headers: r.headers.map(([k, v]) => [String(k), String(v)]),
          });
          added++;
        }
      }
      if (out.length > 0) next = out[out.length - 1]!.offset + 1;
      if (added === 0 || next >= Number(p.highWatermark)) return out;
    }
  } finally {
    await consumer.close(true);
  }
}

/** Runs the round trip against `bootstrap` on a new one-partition `topic` with `codec`. */
export async function platformaticRoundTrip(bootstrap: string, topic: string, codec: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'): Promise<RoundTrip> {
  const admin = new Admin({ clientId: 'interop', bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
  } finally {
    await admin.close();
  }
  const producer = new Producer({
    clientId: 'interop',
    bootstrapBrokers: [bootstrap],
    serializers: stringSerializers,
    ...(codec === 'none' ? {} : { compression: codec }),
  });
  const base = 1_700_000_000_000;
  const sent: PlatformaticRecord[] = Array.from({ length: 24 }, (_, i) => ({
    offset: i,
    key: i % 4 === 0 ? null : `key-${i}`,
    value: `value-${i}-${'z'.repeat(i * 9)}`,
    timestamp: base + i,
    headers: [['trace', `t-${i}`]],
  }));
  const messages = sent.map((m) => ({
    topic,
    partition: 0,
    key: m.key ?? undefined,
    value: m.value!,
    headers: new Map(m.headers),
    timestamp: BigInt(m.timestamp),
  }));
  let firstOffset: number;
  try {
    const result = await producer.send({ messages: messages.slice(0, 12), acks: 1 });
    firstOffset = Number(result.offsets?.[0]?.offset ?? -1);
    await producer.send({ messages: messages.slice(12), acks: -1 });
  } finally {
    await producer.close();
  }
  return { sent, firstOffset, fromStart: await fetchAll(bootstrap, topic, 0, 0), fromOffset: await fetchAll(bootstrap, topic, 0, 20) };
}

// Run as a program (under Bun for zstd): print the round trip as one JSON line.
if ((import.meta as { main?: boolean }).main === true) {
  const [bootstrap, topic, codec] = process.argv.slice(2) as [string, string, 'zstd'];
  console.log(JSON.stringify(await platformaticRoundTrip(bootstrap, topic, codec)));
}
