/**
 * Helpers for the command-line tests: a real broker in the test process (memory storage,
 * TCP on an ephemeral port) and the real CLI spawned as a child process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { memoryStorage } from '../../adapters/memory/index.ts';
import { createDefaultRegistry } from '../../adapters/runtime/default-registry.ts';
import { startServer, type TributaryServer } from '../../adapters/server/index.ts';
import { Broker } from '../../core/broker/broker.ts';
import { DEFAULT_HANDLERS } from '../../core/broker/api/preset.ts';
import { silentLogger } from '../../core/contracts/logger.ts';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A broker for one test file. */
export interface CliBroker {
  readonly broker: Broker;
  readonly server: TributaryServer;
  /** `127.0.0.1:port`. */
  readonly address: string;
  close(): Promise<void>;
}

/** Starts a broker on 127.0.0.1, port 0. */
export async function startCliBroker(): Promise<CliBroker> {
  const broker = new Broker({
    handlers: DEFAULT_HANDLERS,
    storage: memoryStorage(),
    logger: silentLogger,
    retentionCheckIntervalMs: 0,
    codecs: createDefaultRegistry(),
    // Groups form at once (Kafka's 3 s initial delay only slows tests down).
    groups: { initialRebalanceDelayMs: 0 },
  });
  const server = await startServer(broker, { host: '127.0.0.1', port: 0 });
  return { broker, server, address: server.address, close: () => server.close() };
}

/** What a CLI run produced. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `tributary <args>` under Node (through tsx) with `input` on stdin. */
export function runCli(args: readonly string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return runCommand(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], options);
}

/** Runs any command from the repository root, collecting its output. */
export function runCommand(command: string, args: readonly string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: ROOT,
      env: { ...process.env, TRIBUTARY_BROKERS: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // A hung CLI is a failure, reported with what it printed so far.
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** The non-empty lines of a command's output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}
