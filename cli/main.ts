/**
 * The `tributary` command: `tributary <command> [options]`. Runs under Node (through
 * cli/bin.js), Deno (`deno run -A cli/main.ts`) and Bun (`bun cli/main.ts`).
 */
import { TributaryError } from '../core/errors.ts';
import { brokerHelp, runBroker } from './commands/broker.ts';

interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
  help(): string;
}

const COMMANDS: Record<string, Command> = {
  broker: { summary: 'start a broker (Kafka wire protocol)', run: runBroker, help: brokerHelp },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['Usage: tributary <command> [options]', '', 'Commands:', ...rows, '', 'Run `tributary <command> --help` for a command\'s options.'].join('\n');
}

/** Runs the command line; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`tributary: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    // Bad flags come from node:util parseArgs as TypeErrors with ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: string }).code ?? '';
    if (error instanceof TributaryError || code.startsWith('ERR_PARSE_ARGS')) {
      console.error(`tributary ${name}: ${(error as Error).message}${error instanceof TributaryError ? ` [${error.code}]` : ''}`);
      return 2;
    }
    console.error(`tributary ${name}: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
