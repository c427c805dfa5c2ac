/**
 * RecordBatch v2 encode and decode: batches of 1,000 records with 100-byte values and
 * 16-byte keys, uncompressed — ours against kafkajs' own RecordBatch encoder/decoder,
 * measured in the same run. A second set adds two headers per record. Our decoder
 * verifies the CRC32C by default and kafkajs' never does, so a row without it is shown.
 */
import { createRequire } from 'node:module';
import { ByteWriter, decodeBatchSync, encodeBatchSync, writeBatch, type RecordInput } from '../core/records/index.ts';
import { measure, report, type BenchRow } from './harness.ts';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const KafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const kafkajsDecode = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');

const COUNT = 1000;
const now = 1_700_000_000_000;

function makeRecords(withHeaders: boolean): RecordInput[] {
  return Array.from({ length: COUNT }, (_, i) => {
    const value = new Uint8Array(100);
    for (let j = 0; j < 100; j++) value[j] = (i + j * 7) & 0xff;
    return {
      key: new TextEncoder().encode(`key-${String(i).padStart(12, '0')}`),
      value,
      timestamp: now + i,
      headers: withHeaders ? [{ key: 'content-type', value: new TextEncoder().encode('application/octet-stream') }, { key: 'trace-id', value: new TextEncoder().encode(String(i)) }] : undefined,
    };
  });
}

// kafkajs' producer path: one Record encoder per message, then RecordBatch.
async function kafkajsEncode(records: { key: Buffer; value: Buffer; timestamp: number; headers: Record<string, Buffer> }[]) {
  const encoded = records.map((r, i) => KafkaRecord({ offsetDelta: i, timestampDelta: r.timestamp - now, key: r.key, value: r.value, headers: r.headers }));
  const batch = await RecordBatch({ records: encoded, firstTimestamp: now, maxTimestamp: now + COUNT - 1, lastOffsetDelta: COUNT - 1, producerId: -1, producerEpoch: 0, firstSequence: 0 });
  return batch.buffer as Buffer;
}

const rows: BenchRow[] = [];
for (const withHeaders of [false, true]) {
  const label = `${COUNT} × 100 B${withHeaders ? ', 2 headers' : ''}`;
  const records = makeRecords(withHeaders);
  const peerRecords = records.map((r) => ({
    key: Buffer.from(r.key!),
    value: Buffer.from(r.value!),
    timestamp: r.timestamp!,
    headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, Buffer.from(h.value!)])),
  }));
  const ours = encodeBatchSync({ records, producerId: -1, producerEpoch: 0, baseSequence: 0, partitionLeaderEpoch: 0 });
  const theirs = await kafkajsEncode(peerRecords);
  if (!Buffer.from(ours).equals(theirs)) throw new Error('ours and kafkajs encode different bytes');
  const size = ours.length;

  let sink = 0;
  const encOurs = await measure(() => {
    sink ^= encodeBatchSync({ records, producerId: -1, producerEpoch: 0, baseSequence: 0, partitionLeaderEpoch: 0 }).length;
  });
  const writer = new ByteWriter(size);
  const encInto = await measure(() => {
    sink ^= writeBatch(writer.reset(), { records, producerId: -1, producerEpoch: 0, baseSequence: 0, partitionLeaderEpoch: 0 });
  });
  const encPeer = await measure(async () => {
    sink ^= (await kafkajsEncode(peerRecords)).length;
  });
  const decOurs = await measure(() => {
    sink ^= decodeBatchSync(ours).records.length;
  });
  // kafkajs does not verify the CRC; this row compares like with like.
  const decOursNoCrc = await measure(() => {
    sink ^= decodeBatchSync(ours, 0, { verifyCrc: false }).records.length;
  });
  const decPeer = await measure(async () => {
    sink ^= (await kafkajsDecode(new Decoder(theirs))).records.length;
  });
  const row = (name: string, ops: number, peerOps?: number): BenchRow => ({
    name,
    recordsPerSec: ops * COUNT,
    mbPerSec: (ops * size) / 1e6,
    ...(peerOps ? { ratio: { peer: 'kafkajs', value: ops / peerOps } } : {}),
  });
  rows.push(row(`encode batch (${label}) ours`, encOurs.opsPerSec, encPeer.opsPerSec));
  rows.push(row(`encode batch (${label}) ours, into reused ByteWriter`, encInto.opsPerSec, encPeer.opsPerSec));
  rows.push(row(`encode batch (${label}) kafkajs`, encPeer.opsPerSec));
  rows.push(row(`decode batch (${label}) ours`, decOurs.opsPerSec, decPeer.opsPerSec));
  rows.push(row(`decode batch (${label}) ours, CRC not checked`, decOursNoCrc.opsPerSec, decPeer.opsPerSec));
  rows.push({ ...row(`decode batch (${label}) kafkajs (no CRC check)`, decPeer.opsPerSec), extra: { sink: sink & 1 } });
}
report('records', rows);
