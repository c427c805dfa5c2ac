/** Shared helpers of the client tests: a full registry, brokers over TCP or in-process, clients. */
import { memoryStorage } from '../../adapters/memory/index.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { nodeAsyncScope } from '../../adapters/runtime/async-scope.ts';
import { tcpTransport } from '../../adapters/transport/index.ts';
import { Broker, type BrokerOptions } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { type Client, type ClientOptions, createClient } from '../../core/client/client.ts';
import { inProcessTransport } from '../../core/client/in-process-transport.ts';
import { Registry } from '../../core/registry.ts';
import { registerBuiltInCompressors } from '../../plugins/compressors/index.ts';
import { registerBuiltInPartitioners } from '../../plugins/partitioners/index.ts';
import { registerBuiltInSerializers } from '../../plugins/serializers/index.ts';

/** A registry with every built-in plugin (what mod.ts's default registry holds). */
export function fullRegistry(): Registry {
  const registry = new Registry();
  registerBuiltInSerializers(registry);
  registerBuiltInPartitioners(registry);
  registerBuiltInCompressors(registry);
  return registry;
}

/** How a test reaches its broker. */
export type Mode = 'tcp' | 'in-process';

/** A running broker and a way to make clients for it. */
export interface Harness {
  readonly broker: Broker;
  readonly server: TributaryServer | undefined;
  readonly mode: Mode;
  client(options?: Partial<ClientOptions>): Client;
  close(): Promise<void>;
}

/** Starts a broker (memory storage unless given) reachable over `mode`. */
export async function harness(mode: Mode, options: Partial<BrokerOptions> = {}): Promise<Harness> {
  const broker = new Broker({ storage: options.storage ?? memoryStorage(), retentionCheckIntervalMs: 0, ...options, handlers: options.handlers ?? DEFAULT_HANDLERS });
  let server: TributaryServer | undefined;
  if (mode === 'tcp') server = await startServer(broker, { port: 0 });
  else await broker.start();
  const clients: Client[] = [];
  return {
    broker,
    server,
    mode,
    client(clientOptions = {}) {
      const client = createClient({
        brokers: server ? [server.address] : ['in-process:0'],
        transport: server ? tcpTransport() : inProcessTransport(broker),
        registry: fullRegistry(),
        retry: { retries: 5, initialRetryTime: 20, maxRetryTime: 200 },
        asyncScope: nodeAsyncScope(),
        ...clientOptions,
      });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
      if (server) await server.close();
      else await broker.close();
    },
  };
}

/** Resolves when `check` returns true, polling (no timing assertion: the test's own timeout bounds it). */
export async function until(check: () => boolean | Promise<boolean>, intervalMs = 5): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, intervalMs));
}

/** Collects what a consumer's eachMessage receives until `count` messages arrived. */
export function collector<T = unknown>() {
  const messages: T[] = [];
  return {
    messages,
    eachMessage: async ({ message }: { message: T }) => {
      messages.push(message);
    },
    until: (count: number) => until(() => messages.length >= count),
  };
}

export const dec = new TextDecoder();
export const enc = new TextEncoder();
