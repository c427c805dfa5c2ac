/**
 * The `tributary` command: `tributary <command> [options]`. Runs under Node (through
 * cli/bin.js), Deno (`deno run -A cli/main.ts`) and Bun (`bun cli/main.ts`).
 */
import { TributaryError } from '../core/errors.ts';
import { asksForHelp, currentBrokers, GLOBAL_HELP, splitLeadingGlobals } from './args.ts';
import { describeError, EXIT, EXIT_CODES_HELP, exitCodeOf } from './exit-codes.ts';

interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
  help(): string;
}

/**
 * The command table. Each command's module loads only when it runs, so that a command
 * pays the start-up cost of its own dependencies only (the broker's storage adapters,
 * a schema library).
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  broker: { summary: 'start a broker (Kafka wire protocol)', load: async () => {
    const m = await import('./commands/broker.ts');
    return { summary: '', run: m.runBroker, help: m.brokerHelp };
  } },
  topics: { summary: 'create, list, describe, alter and delete topics', load: async () => (await import('./commands/topics.ts')).topicsCommand },
  produce: { summary: 'send lines of stdin or a file as messages (kcat -P)', load: async () => (await import('./commands/produce.ts')).produceCommand },
  consume: { summary: 'print messages of topics (kcat -C)', load: async () => (await import('./commands/consume.ts')).consumeCommand },
  groups: { summary: 'list, describe, reset offsets of and delete consumer groups', load: async () => (await import('./commands/groups.ts')).groupsCommand },
  cluster: { summary: 'start a local cluster (cluster up), or describe one', load: async () => (await import('./commands/cluster.ts')).clusterCommand },
  perf: { summary: 'producer, consumer and end-to-end load tests', load: async () => (await import('./commands/perf.ts')).perfCommand },
  users: { summary: 'list, add and remove SCRAM users (SASL authentication)', load: async () => (await import('./commands/users.ts')).usersCommand },
  acls: { summary: 'list, add and remove ACLs (kafka-acls.sh)', load: async () => (await import('./commands/acls.ts')).aclsCommand },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'Usage: tributary <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    GLOBAL_HELP,
    '',
    EXIT_CODES_HELP,
    '',
    'Examples:',
    '  npm start                                        # a broker on 127.0.0.1:9092, data in ./data',
    '  tributary topics create trucks --partitions 10',
    '  echo \'truck-1:{"lat":52.5}\' | tributary produce trucks -K :',
    '  tributary consume trucks --from beginning --exit --format \'%k %v\\n\'',
    '  tributary groups describe dashboard',
    '  tributary perf produce --records 100000 --record-size 100',
    '',
    'Run `tributary <command> --help` for a command\'s options.',
  ].join('\n');
}

let commandName: string | undefined;

/**
 * Runs the command line; resolves with the process exit code. Global flags may come
 * before the command (`tributary -b host:9092 topics list`), as kcat and rpk take them.
 */
export async function main(argv: string[]): Promise<number> {
  const { globals, rest: afterGlobals } = splitLeadingGlobals(argv);
  const [name, ...rest] = afterGlobals;
  if (name === undefined || name === 'help') {
    const help = name === 'help' || asksForHelp(globals);
    if (help) console.log(usage());
    else console.error(usage());
    return help ? EXIT.OK : EXIT.USAGE;
  }
  commandName = name;
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    // One line saying what is wrong, not the whole help text that would bury it.
    const what = name.startsWith('-') ? `unknown option ${name.split('=')[0]}` : `unknown command "${name}"`;
    console.error(`tributary: ${what} (commands: ${Object.keys(COMMANDS).join(', ')})\nRun \`tributary --help\` for usage.`);
    return EXIT.USAGE;
  }
  const args = [...globals, ...rest];
  try {
    const command = await entry.load();
    return await command.run(args);
  } catch (error) {
    const exit = exitCodeOf(error);
    // Errors we know (coded) get one line; anything else is a bug worth its stack.
    const known = error instanceof TributaryError || typeof (error as { code?: unknown })?.code === 'string';
    if (known || process.env.TRIBUTARY_DEBUG === undefined) {
      console.error(`tributary ${name}: ${describeError(error, currentBrokers())}`);
      if (exit === EXIT.USAGE) {
        const first = splitLeadingGlobals(rest).rest[0];
        const sub = first !== undefined && /^[a-z][a-z-]*$/.test(first) && name !== 'produce' && name !== 'consume' ? ` ${first}` : '';
        console.error(`Run \`tributary ${name}${sub} --help\` for usage.`);
      }
    } else {
      console.error(`tributary ${name}: ${(error as Error).stack ?? String(error)}`);
    }
    return exit;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Commands other than the broker end here: exit at once rather than wait for a stray
// timer or socket (a client library's keep-alive) to let the event loop drain.
if (commandName !== 'broker') {
  // Flush what is queued for stdout/stderr first (pipes may be asynchronous under Bun).
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((done) => s.write('', () => done()))));
  process.exit(code);
}
