/** Runs the kcat binary (librdkafka) for interop tests and benchmarks. */
import { spawn } from 'node:child_process';

/**
 * Runs kcat with `args`, feeding `input`; resolves stdout, rejects on a non-zero exit, or
 * (with `timeoutMs`) kills it and rejects when it runs longer.
 */
export function kcat(args: string[], input: string | Uint8Array = '', options: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(' ')} exited ${code ?? signal}${signal ? ` (after ${options.timeoutMs} ms)` : ''}: ${err}`));
    });
    // kcat exiting before it read its input (bad arguments, broker gone) fails the write with
    // EPIPE; the exit code rejects with kcat's own message instead of an unhandled error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** One message as `kcat -C -J` prints it. */
export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  headers: string[] | null;
  key: string | null;
  payload: string | null;
}
