/**
 * The security flags through the real CLI: `tributary broker --listeners
 * PLAINTEXT://…,SASL_SSL://… --ssl-cert --ssl-key --sasl-plain-users`, then `tributary
 * users add|list|remove` and `topics list` with --ssl-ca and --sasl-* against the
 * SASL_SSL listener (the password on stdin), and kcat logging in as the user just added.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kcat } from '../interop/kcat-runner.ts';
import { makeCertificates, opensslMissing, type TestCertificates } from '../interop/security-fixture.ts';
import { ROOT, runCli } from './cli-helpers.ts';

const skip = opensslMissing();
if (skip) console.warn(skip);

let child: ChildProcess | undefined;
let certs: TestCertificates;
let out = '';
const address: Record<string, string> = {};

beforeAll(async () => {
  if (skip) return;
  certs = makeCertificates();
  const users = join(certs.dir, 'plain-users');
  writeFileSync(users, '# PLAIN users\nadmin:admin-secret\n');
  child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'broker', '--storage', 'memory',
    '--listeners', 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    '--ssl-cert', certs.certFile, '--ssl-key', certs.keyFile, '--sasl-plain-users', users], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRIBUTARY_BROKERS: '' } });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      const m = /listening on PLAINTEXT:\/\/(127\.0\.0\.1:\d+), SASL_SSL:\/\/(127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        address.PLAINTEXT = m[1]!;
        address.SASL_SSL = m[2]!;
        resolve();
      }
    };
    child!.stdout!.on('data', check);
    child!.on('close', () => reject(new Error(`the broker exited:\n${out}`)));
  });
}, 60_000);
afterAll(async () => {
  if (child && child.exitCode === null) {
    const closed = new Promise((r) => child!.once('close', r));
    child.kill('SIGTERM');
    await closed;
  }
  certs?.remove();
});

const adminFlags = () => ['-b', address.SASL_SSL!, '--ssl-ca', certs.caFile, '--sasl-mechanism', 'plain', '--sasl-username', 'admin'];
const adminEnv = { TRIBUTARY_SASL_PASSWORD: 'admin-secret' };

describe.skipIf(skip)('tributary users and the connection flags', () => {
  it('adds a SCRAM user (password on stdin), lists it, kcat logs in as it, removes it', async () => {
    const added = await runCli(['users', 'add', 'alice', '--mechanism', 'scram-sha-256', ...adminFlags()], { input: 'alice-pw\n', env: adminEnv });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('Stored SCRAM-SHA-256 credentials for "alice"');

    const listed = await runCli(['users', 'list', ...adminFlags()], { env: adminEnv });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/alice\s+SCRAM-SHA-256\s+4096/);

    const login = ['-b', address.SASL_SSL!, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caFile}`, '-X', 'sasl.mechanism=SCRAM-SHA-256', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-pw'];
    expect(await kcat([...login, '-L'], '', { timeoutMs: 15_000 })).toContain('1 brokers');

    // The client flags work for every command: topics over SASL_SSL as alice.
    const topics = await runCli(['topics', 'list', '-b', address.SASL_SSL!, '--ssl-ca', certs.caFile, '--sasl-mechanism', 'scram-sha-256', '--sasl-username', 'alice', '--sasl-password', 'alice-pw']);
    expect(topics.code, topics.stderr).toBe(0);

    const removed = await runCli(['users', 'remove', 'alice', ...adminFlags()], { env: adminEnv });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('Removed SCRAM-SHA-256 credentials of "alice"');
    const gone = await runCli(['users', 'list', 'alice', ...adminFlags()], { env: adminEnv });
    expect(gone.code).toBe(3);
  });

  it('a wrong password: exit 1 and the broker\'s reason', async () => {
    const refused = await runCli(['topics', 'list', ...adminFlags()], { env: { TRIBUTARY_SASL_PASSWORD: 'wrong' } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Authentication failed: Invalid username or password [SASL_AUTHENTICATION_FAILED]');
  });

  it('the PLAINTEXT listener still serves without credentials', async () => {
    const plain = await runCli(['topics', 'list', '-b', address.PLAINTEXT!]);
    expect(plain.code, plain.stderr).toBe(0);
  });
});
