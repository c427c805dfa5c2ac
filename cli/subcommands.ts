/**
 * Commands made of subcommands (`tributary topics create …`): dispatch, and `--help` on
 * the command and on every subcommand.
 */
import { asksForHelp, GLOBAL_HELP, splitLeadingGlobals } from './args.ts';
import { EXIT, usageError } from './exit-codes.ts';

/** One subcommand: a summary for the list, its full help, and what it does. */
export interface Subcommand {
  readonly summary: string;
  readonly help: string;
  run(argv: string[]): Promise<number>;
}

/** A command with subcommands, as the command table in cli/main.ts wants it. */
export interface CommandWithSubcommands {
  summary: string;
  help(): string;
  run(argv: string[]): Promise<number>;
}

/** Builds a command from its subcommands (`aliases` map extra names to subcommands). */
export function withSubcommands(name: string, summary: string, subcommands: Record<string, Subcommand>, aliases: Record<string, string> = {}): CommandWithSubcommands {
  const help = () => {
    const rows = Object.entries(subcommands).map(([sub, s]) => `  ${sub.padEnd(10)} ${s.summary}`);
    return [`Usage: tributary ${name} <subcommand> [options]`, '', summary, '', 'Subcommands:', ...rows, '', GLOBAL_HELP, '', `Run \`tributary ${name} <subcommand> --help\` for a subcommand's options.`].join('\n');
  };
  return {
    summary,
    help,
    async run(argv) {
      // Global flags may come before the subcommand too (`topics -b host:9092 list`).
      const { globals, rest: afterGlobals } = splitLeadingGlobals(argv);
      const [sub, ...tail] = afterGlobals;
      const rest = [...globals, ...tail];
      if (sub === undefined && !asksForHelp(globals)) {
        console.error(help());
        return EXIT.USAGE;
      }
      if (sub === undefined || sub === 'help') {
        console.log(help());
        return EXIT.OK;
      }
      const target = subcommands[sub] ?? subcommands[aliases[sub] ?? ''];
      if (!target) throw usageError(`unknown subcommand "${sub}" (one of: ${Object.keys(subcommands).join(', ')})`);
      if (rest.includes('--help') || rest.includes('-h')) {
        console.log(target.help);
        return EXIT.OK;
      }
      return target.run(rest);
    },
  };
}
