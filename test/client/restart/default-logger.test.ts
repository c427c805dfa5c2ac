/**
 * Issue 13, item 1: a client given no logger prints warnings and errors on standard
 * error (it used to be silent), and `logLevel: 'silent'` (or a logger of one's own)
 * still quiets it. Run in a child process so that its real standard error is read.
 */
import { expect, it } from 'vitest';
import { runCommand } from '../../cli/cli-helpers.ts';

const SCRIPT = `
import { createClient } from './mod.ts';
const loud = createClient({ brokers: ['127.0.0.1:1'] });
loud.logger.warn('loud warning', { n: 1 });
loud.logger.info('loud info');
const quiet = createClient({ brokers: ['127.0.0.1:1'], logLevel: 'silent' });
quiet.logger.warn('quiet warning');
quiet.logger.error('quiet error');
const verbose = createClient({ brokers: ['127.0.0.1:1'], logLevel: 'info' });
verbose.logger.info('verbose info');
process.stdout.write('done\\n');
`;

it('the default logger writes warnings and errors to stderr; logLevel silences it', async () => {
  const result = await runCommand(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toBe('done\n');
  expect(result.stderr).toMatch(/WARN .*loud warning n=1/);
  expect(result.stderr).not.toContain('loud info');
  expect(result.stderr).not.toContain('quiet');
  expect(result.stderr).toMatch(/INFO .*verbose info/);
});
