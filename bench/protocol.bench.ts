/**
 * Protocol codec throughput on the two hot paths, with 1 MiB of record bytes per
 * message: Produce request decode and Fetch response encode, through the generic
 * schema-driven codec. Peer, measured in the same run: the same messages written by
 * hand against kafkajs' own protocol Encoder/Decoder (node_modules/kafkajs/src/protocol),
 * which is how kafkajs encodes and decodes every API.
 *
 * Run: npm run bench -- protocol
 */
import { createRequire } from 'node:module';
import { measure, report, type BenchRow } from './harness.ts';
import { ApiKey, concat, decodeRequest, encodeRequest, encodeResponse, type ApiVersionRange } from '../core/protocol/index.ts';

const require = createRequire(import.meta.url);
const KafkajsEncoder = require('kafkajs/src/protocol/encoder.js');
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js');

const MiB = 1024 * 1024;
const all: ApiVersionRange[] = [{ apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 11 }];

/** `topics × partitions` partitions sharing 1 MiB of (random) record bytes. */
function layout(topics: number, partitions: number): Array<{ name: string; parts: Uint8Array[] }> {
  const per = Math.floor(MiB / (topics * partitions));
  return Array.from({ length: topics }, (_, t) => ({
    name: `bench-topic-${t}`,
    parts: Array.from({ length: partitions }, () => {
      const bytes = new Uint8Array(per);
      for (let i = 0; i < per; i += 4096) bytes[i] = i & 0xff;
      return bytes;
    }),
  }));
}

const shapes = [
  { label: '1 partition × 1 MiB', data: layout(1, 1) },
  { label: '100 partitions × 10 KiB', data: layout(10, 10) },
];

// kafkajs' decoder for the Produce v7 layout (kafkajs only encodes requests; this is
// what a decoder in its style costs).
function kafkajsDecodeProduceV7(frame: Buffer): unknown {
  const d = new KafkajsDecoder(frame);
  const header = { apiKey: d.readInt16(), apiVersion: d.readInt16(), correlationId: d.readInt32(), clientId: d.readString() };
  return {
    header,
    transactionalId: d.readString(),
    acks: d.readInt16(),
    timeout: d.readInt32(),
    topicData: d.readArray((t: any) => ({ topic: t.readString(), partitions: t.readArray((p: any) => ({ partition: p.readInt32(), records: p.readBytes() })) })),
  };
}

// kafkajs-style encoder for the Fetch v11 response layout.
function kafkajsEncodeFetchV11(data: Array<{ name: string; parts: Uint8Array[] }>): Buffer {
  const topics = data.map((t) => new KafkajsEncoder().writeString(t.name).writeArray(t.parts.map((records, i) => new KafkajsEncoder()
    .writeInt32(i).writeInt16(0).writeInt64(1000).writeInt64(1000).writeInt64(0)
    .writeNullableArray([]).writeInt32(-1).writeBytes(Buffer.from(records.buffer, records.byteOffset, records.byteLength)))));
  const body = new KafkajsEncoder().writeInt32(0).writeInt16(0).writeInt32(0).writeArray(topics);
  const framed = new KafkajsEncoder().writeInt32(body.size() + 4).writeInt32(7).writeEncoder(body);
  return framed.buffer;
}

function fetchBody(data: Array<{ name: string; parts: Uint8Array[] }>, chunked: boolean) {
  return {
    responses: data.map((t) => ({
      topic: t.name,
      partitions: t.parts.map((records, i) => ({
        partitionIndex: i, highWatermark: 1000, lastStableOffset: 1000, logStartOffset: 0, abortedTransactions: null,
        // Stored batches arrive as several chunks; the encoder passes them through.
        records: chunked ? [records.subarray(0, records.length >> 1), records.subarray(records.length >> 1)] : records,
      })),
    })),
  };
}

const rows: BenchRow[] = [];
for (const { label, data } of shapes) {
  const produceBody = {
    transactionalId: null, acks: -1, timeoutMs: 30000,
    topicData: data.map((t) => ({ name: t.name, partitionData: t.parts.map((records, index) => ({ index, records })) })),
  };
  const frames = [7, 9].map((v) => concat(encodeRequest({ apiKey: ApiKey.Produce, apiVersion: v, correlationId: 1, clientId: 'bench' }, produceBody)).subarray(4));
  const size = frames[0]!.length;
  const peerFrame = Buffer.from(frames[0]!.buffer, frames[0]!.byteOffset, frames[0]!.byteLength);
  const peer = await measure(() => kafkajsDecodeProduceV7(peerFrame));
  for (const [i, v] of [7, 9].entries()) {
    const frame = frames[i]!;
    const m = await measure(() => decodeRequest(frame, all));
    rows.push({ name: `Produce v${v} request decode, ${label}`, opsPerSec: m.opsPerSec, mbPerSec: (m.opsPerSec * size) / 1e6, ratio: v === 7 ? { peer: 'kafkajs Decoder', value: m.opsPerSec / peer.opsPerSec } : undefined });
  }
  rows.push({ name: `  peer: kafkajs Decoder, Produce v7, ${label}`, opsPerSec: peer.opsPerSec, mbPerSec: (peer.opsPerSec * size) / 1e6 });

  const peerEncode = await measure(() => kafkajsEncodeFetchV11(data));
  for (const v of [11, 12]) {
    const body = fetchBody(data, true);
    const m = await measure(() => encodeResponse(ApiKey.Fetch, v, 7, body));
    rows.push({ name: `Fetch v${v} response encode (chunks), ${label}`, opsPerSec: m.opsPerSec, mbPerSec: (m.opsPerSec * MiB) / 1e6, ratio: v === 11 ? { peer: 'kafkajs Encoder', value: m.opsPerSec / peerEncode.opsPerSec } : undefined });
  }
  const body = fetchBody(data, false);
  const joined = await measure(() => concat(encodeResponse(ApiKey.Fetch, 11, 7, body)));
  rows.push({ name: `Fetch v11 response encode + one-buffer copy, ${label}`, opsPerSec: joined.opsPerSec, mbPerSec: (joined.opsPerSec * MiB) / 1e6, ratio: { peer: 'kafkajs Encoder', value: joined.opsPerSec / peerEncode.opsPerSec } });
  rows.push({ name: `  peer: kafkajs Encoder, Fetch v11, ${label}`, opsPerSec: peerEncode.opsPerSec, mbPerSec: (peerEncode.opsPerSec * MiB) / 1e6 });
}
report('protocol', rows);
