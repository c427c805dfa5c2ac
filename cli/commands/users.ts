/**
 * `tributary users`: SCRAM users of a broker (KIP-554's DescribeUserScramCredentials and
 * AlterUserScramCredentials, as kafka-configs.sh --alter --add-config 'SCRAM-SHA-256=…'
 * does). The password is salted here and never sent; it comes from --password or, safer
 * (no shell history, no `ps`), the first line of stdin. PLAIN users live in the broker's
 * --sasl-plain-users file instead.
 */
import { createInterface } from 'node:readline';
import { brokersFrom, GLOBAL_HELP, int, noExtraPositionals, parseFlags, str, type Flags } from '../args.ts';
import { withClient } from '../connect.ts';
import { EXIT, usageError } from '../exit-codes.ts';
import { withSubcommands, type Subcommand } from '../subcommands.ts';
import { table } from '../table.ts';

const MECHANISMS = ['scram-sha-256', 'scram-sha-512'] as const;

function userFrom(positionals: string[], command: string): string {
  noExtraPositionals(positionals, 1, command);
  const user = positionals[0];
  if (user === undefined || user === '') throw usageError(`a user name is required (${command} <user>)`);
  return user;
}

function mechanismsFrom(flags: Flags): Array<(typeof MECHANISMS)[number]> {
  const raw = str(flags, 'mechanism');
  if (raw === undefined) return [...MECHANISMS];
  const list = raw.split(',').map((m) => m.trim().toLowerCase());
  for (const m of list) if (!(MECHANISMS as readonly string[]).includes(m)) throw usageError(`--mechanism: expected scram-sha-256 or scram-sha-512, got "${m}"`);
  return list as Array<(typeof MECHANISMS)[number]>;
}

async function passwordFromStdin(): Promise<string> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

const listUsers: Subcommand = {
  summary: 'list SCRAM users and their mechanisms',
  help: ['Usage: tributary users list [user…] [options]', '', 'Prints each user with its SCRAM mechanisms and iteration counts (never a key).', '', GLOBAL_HELP].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, {});
    return withClient(brokersFrom(flags), {}, async (client) => {
      const users = await client.admin().describeUserScramCredentials(positionals.length > 0 ? positionals : undefined);
      if (users.length === 0) {
        console.log('No SCRAM users.');
        return EXIT.OK;
      }
      console.log(table(['USER', 'MECHANISM', 'ITERATIONS'], users.flatMap((u) => u.credentials.map((c) => [u.user, c.mechanism, c.iterations]))));
      return EXIT.OK;
    });
  },
};

const addUser: Subcommand = {
  summary: 'add a SCRAM user, or change its password',
  help: [
    'Usage: tributary users add <user> [--mechanism scram-sha-256[,scram-sha-512]] [--password <pw>] [--iterations n] [options]',
    '',
    'Stores a salted SCRAM credential for the user (the password never leaves this process).',
    'Without --password the password is read from the first line of stdin:',
    '  echo "$ALICE_PASSWORD" | tributary users add alice --mechanism scram-sha-256',
    '',
    '  --mechanism <list>    scram-sha-256, scram-sha-512 or both, comma-separated (default both)',
    '  --password <pw>       the password (visible in `ps` and shell history: prefer stdin)',
    '  --iterations <n>      PBKDF2 iterations, 4096 to 16384 (default 4096)',
    '',
    GLOBAL_HELP,
  ].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { mechanism: { type: 'string' }, password: { type: 'string' }, iterations: { type: 'string' } });
    const user = userFrom(positionals, 'tributary users add');
    const mechanisms = mechanismsFrom(flags);
    const iterations = int(flags, 'iterations', undefined, 4096, 16384);
    const brokers = brokersFrom(flags);
    const given = str(flags, 'password');
    const password = given === undefined || given === '-' ? await passwordFromStdin() : given;
    if (password === '') throw usageError('an empty password (give --password, or the password on stdin)');
    return withClient(brokers, {}, async (client) => {
      await client.admin().alterUserScramCredentials({ upsertions: mechanisms.map((mechanism) => ({ user, mechanism, password, ...(iterations !== undefined ? { iterations } : {}) })) });
      console.log(`Stored ${mechanisms.map((m) => m.toUpperCase()).join(' and ')} credentials for "${user}".`);
      return EXIT.OK;
    });
  },
};

const removeUser: Subcommand = {
  summary: 'remove a SCRAM user\'s credentials',
  help: ['Usage: tributary users remove <user> [--mechanism <list>] [options]', '', 'Removes the user\'s credentials for the mechanisms given (default: every one it has).', '', '  --mechanism <list>    scram-sha-256, scram-sha-512 or both', '', GLOBAL_HELP].join('\n'),
  async run(argv) {
    const { flags, positionals } = parseFlags(argv, { mechanism: { type: 'string' } });
    const user = userFrom(positionals, 'tributary users remove');
    return withClient(brokersFrom(flags), {}, async (client) => {
      const admin = client.admin();
      const wanted = flags.mechanism === undefined
        ? (await admin.describeUserScramCredentials([user]))[0]!.credentials.map((c) => c.mechanism.toLowerCase())
        : mechanismsFrom(flags);
      await admin.alterUserScramCredentials({ deletions: wanted.map((mechanism) => ({ user, mechanism })) });
      console.log(`Removed ${wanted.map((m) => m.toUpperCase()).join(' and ')} credentials of "${user}".`);
      return EXIT.OK;
    });
  },
};

/** The `tributary users` command. */
export const usersCommand = withSubcommands('users', 'List, add and remove SCRAM users (SASL/SCRAM-SHA-256 and -512).', { list: listUsers, add: addUser, remove: removeUser }, { ls: 'list', rm: 'remove', delete: 'remove' });
