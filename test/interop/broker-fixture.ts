/** Starts a real broker (memory storage, TCP server on an ephemeral 127.0.0.1 port) for interop tests. */
import { memoryStorage } from '../../adapters/memory/index.ts';
import { createDefaultRegistry } from '../../adapters/runtime/default-registry.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { Broker, type BrokerOptions } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import type { Logger } from '../../core/contracts/logger.ts';
import { BatchAttributes, readBatchHeader } from '../../core/records/batch-header.ts';

/** Log lines kept for assertions (and printed when TRIBUTARY_TEST_LOG is set). */
export interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** A logger that records lines. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const verbose = Boolean(process.env.TRIBUTARY_TEST_LOG);
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields });
    if (verbose) console.log(level, message, fields ?? '');
  };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** A running broker and its server. */
export interface BrokerFixture {
  broker: Broker;
  server: TributaryServer;
  logger: Logger & { lines: LogLine[] };
  /** `127.0.0.1:port`. */
  bootstrap: string;
  close(): Promise<void>;
}

/** Starts a broker for one test file. */
export async function startBroker(options: Partial<BrokerOptions> = {}): Promise<BrokerFixture> {
  const logger = recordingLogger();
  // Codecs as a deployed broker gets them (ListOffsets by timestamp looks into compressed batches).
  const broker = new Broker({ handlers: DEFAULT_HANDLERS, storage: memoryStorage(), logger, retentionCheckIntervalMs: 0, codecs: createDefaultRegistry(), ...options });
  const server = await startServer(broker, { host: '127.0.0.1', port: 0 });
  return { broker, server, logger, bootstrap: server.address, close: () => server.close() };
}

/**
 * The compression codec id (0 none … 4 zstd) of every batch stored in a partition, in
 * offset order: proof that a client really compressed what it was asked to (librdkafka,
 * for one, silently sends uncompressed batches when it thinks the broker is too old).
 */
export async function storedCodecs(broker: Broker, topic: string, partition: number): Promise<number[]> {
  const log = broker.topics.get(topic)!.partitions[partition]!.log;
  const read = await log.read(log.startOffset(), 1 << 30, { minOneBatch: true });
  const bytes = new Uint8Array(read.bytes);
  let at = 0;
  for (const chunk of read.chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  const codecs: number[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const header = readBatchHeader(bytes, pos);
    codecs.push(header.attributes & BatchAttributes.compressionMask);
    pos += header.batchLength + 12;
  }
  return codecs;
}
