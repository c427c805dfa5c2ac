/** Starts a real broker (memory storage, TCP server on an ephemeral 127.0.0.1 port) for interop tests. */
import { memoryStorage } from '../../adapters/memory/index.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { Broker, type BrokerOptions } from '../../core/broker/broker.ts';
import type { Logger } from '../../core/contracts/logger.ts';

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
  const broker = new Broker({ storage: memoryStorage(), logger, retentionCheckIntervalMs: 0, ...options });
  const server = await startServer(broker, { host: '127.0.0.1', port: 0 });
  return { broker, server, logger, bootstrap: server.address, close: () => server.close() };
}
