/**
 * A one-line progress display on stderr (records, records/s, MB/s, and a bar when the
 * total is known), redrawn a few times a second with a carriage return.
 */

/** What the progress line shows. */
export interface ProgressState {
  records: number;
  bytes: number;
  /** Input bytes read so far, for the bar (files). */
  readBytes: number;
}

/** A running progress display. */
export interface Progress {
  readonly state: ProgressState;
  /** Stops drawing: clears the line, or with `keep` draws the final state and ends the line. */
  stop(keep?: boolean): void;
}

const BAR_WIDTH = 24;

/** Human-readable byte count. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** A number with thousands separators. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * Starts drawing progress on `stream` every `intervalMs` after `delayMs` (so that small
 * inputs finish before a bar ever appears). `totalBytes` (a file's size) adds a bar.
 */
export function startProgress(options: { stream: { write(text: string): unknown }; totalBytes?: number; intervalMs?: number; delayMs?: number; label?: string }): Progress {
  const state: ProgressState = { records: 0, bytes: 0, readBytes: 0 };
  const started = performance.now();
  let drawn = false;
  const draw = () => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? state.records / seconds : 0;
    const mbs = seconds > 0 ? state.bytes / seconds / 1024 / 1024 : 0;
    let bar = '';
    if (options.totalBytes !== undefined && options.totalBytes > 0) {
      const frac = Math.min(1, state.readBytes / options.totalBytes);
      const full = Math.round(frac * BAR_WIDTH);
      bar = `[${'#'.repeat(full)}${'-'.repeat(BAR_WIDTH - full)}] ${(frac * 100).toFixed(0).padStart(3)}% `;
    }
    options.stream.write(`\r${options.label ?? ''}${bar}${formatCount(state.records)} records, ${formatBytes(state.bytes)}, ${formatCount(rate)} records/s, ${mbs.toFixed(2)} MB/s\u001b[K`);
    drawn = true;
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  const delay = setTimeout(() => {
    draw();
    timer = setInterval(draw, options.intervalMs ?? 200);
  }, options.delayMs ?? 0);
  return {
    state,
    stop(keep = false) {
      clearTimeout(delay);
      if (timer !== undefined) clearInterval(timer);
      if (keep) {
        draw();
        options.stream.write('\n');
      } else if (drawn) {
        options.stream.write('\r\u001b[K');
      }
    },
  };
}
