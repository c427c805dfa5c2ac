/**
 * One broker of a process cluster: `tributary broker` in a child process on a fixed port
 * and data directory, its output appended to a log file across all its lives, that a test
 * can kill -9, pause (SIGSTOP), resume (SIGCONT), stop gracefully and start again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { ROOT } from '../cli/cli-helpers.ts';

/** How a node is started; `args` are the broker flags after `broker`. */
export interface BrokerNodeSpec {
  readonly id: number;
  /** The port the broker itself listens on (its proxy sits in front). */
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  readonly args: readonly string[];
}

/** What a node is doing. */
export type NodeState = 'running' | 'paused' | 'down';

/** A broker process that survives in name across restarts. */
export class BrokerNode {
  /** How it is started (the same every life). */
  readonly spec: BrokerNodeSpec;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #state: NodeState = 'down';

  /** A node not started yet. */
  constructor(spec: BrokerNodeSpec) {
    this.spec = spec;
  }

  /** Its node id. */
  get id(): number {
    return this.spec.id;
  }

  /** Running, paused (SIGSTOP) or down. */
  get state(): NodeState {
    return this.#state;
  }

  /** The OS process id while running or paused. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process and resolves once it listens (rejects with its log when it exits first). */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.#state !== 'down') throw new Error(`node ${this.id} is ${this.#state}`);
    this.#note(`starting: broker ${this.spec.args.join(' ')}`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'broker', ...this.spec.args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TRIBUTARY_BROKERS: '' },
    });
    this.#child = child;
    this.#state = 'running';
    let out = '';
    const append = (d: string) => appendFileSync(this.spec.logFile, d);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => ((out += d), append(d)));
    child.stderr!.setEncoding('utf8').on('data', append);
    this.#exited = new Promise<void>((resolve) =>
      child.on('exit', (code, signal) => {
        this.#note(`exited (${code ?? signal})`);
        if (this.#child === child) {
          this.#child = null;
          this.#state = 'down';
        }
        resolve();
      }),
    );
    const exited = this.#exited;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${this.id} not listening after ${timeoutMs} ms:\n${this.log()}`)), timeoutMs);
      const check = () => {
        if (/ listening on /.test(out)) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`node ${this.id} exited before listening:\n${this.log()}`));
      });
    });
  }

  /** kill -9 (a paused process dies too), and waits until it is gone. */
  async kill(): Promise<void> {
    if (!this.#child) return;
    this.#note('kill -9');
    this.#child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM: the broker's graceful shutdown (controlled shutdown in a cluster). */
  async stop(): Promise<void> {
    if (!this.#child) return;
    if (this.#state === 'paused') this.resume();
    this.#note('SIGTERM');
    this.#child.kill('SIGTERM');
    await this.#exited;
  }

  /** SIGSTOP: the process keeps its sockets but answers nothing. */
  pause(): void {
    if (this.#state !== 'running') throw new Error(`node ${this.id} is ${this.#state}`);
    this.#note('SIGSTOP');
    this.#child!.kill('SIGSTOP');
    this.#state = 'paused';
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (this.#state !== 'paused') throw new Error(`node ${this.id} is ${this.#state}`);
    this.#note('SIGCONT');
    this.#child!.kill('SIGCONT');
    this.#state = 'running';
  }

  /** kill -9 then start again on the same port and data directory. */
  async restart(): Promise<void> {
    await this.kill();
    // The port may linger briefly after the kill: try again until it binds.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.start();
        return;
      } catch (error) {
        if (attempt >= 20 || !/EADDRINUSE/.test(String(error))) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Everything this node printed, all lives, with the harness's own markers. */
  log(): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  #note(what: string): void {
    appendFileSync(this.spec.logFile, `\n=== [harness ${new Date().toISOString()}] node ${this.id}: ${what} ===\n`);
  }
}
