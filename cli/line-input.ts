/**
 * Lines of input for `produce`: stdin or a file, read with node:readline (which Node,
 * Deno and Bun provide), counting the bytes read for the progress bar.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { notFoundError, usageError } from './exit-codes.ts';

/** An input source: its lines, and its size when it is a regular file. */
export interface LineInput {
  readonly lines: AsyncIterable<string>;
  readonly totalBytes: number | undefined;
  /** Stops reading (the iteration ends after the current line). */
  close(): void;
}

/** Opens `file` (or stdin when undefined or "-") for reading lines. */
export function openLines(file: string | undefined): LineInput {
  let stream: Readable;
  let totalBytes: number | undefined;
  if (file === undefined || file === '-') {
    stream = process.stdin;
  } else {
    try {
      const stat = statSync(file);
      if (!stat.isFile()) throw usageError(`--file: "${file}" is not a regular file`);
      totalBytes = stat.size;
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') throw notFoundError(`--file: no such file "${file}"`);
      throw error;
    }
    stream = createReadStream(file);
  }
  let rl: ReturnType<typeof createInterface> | undefined;
  let closed = false;
  // The interface is made when iteration starts: readline drops lines emitted before its
  // async iterator exists, and connecting to the broker comes first.
  async function* lines(): AsyncGenerator<string> {
    if (closed) return;
    rl = createInterface({ input: stream, crlfDelay: Infinity, terminal: false });
    yield* rl;
  }
  return {
    lines: lines(),
    totalBytes,
    close() {
      closed = true;
      rl?.close();
      if (stream !== process.stdin) stream.destroy();
    },
  };
}
