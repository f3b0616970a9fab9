/**
 * Extraction progress: a bar with rate and ETA on a TTY (cli-progress), plain lines about
 * every 10% (and at least every 10 s) otherwise, or a callback.
 */
import cliProgress from 'cli-progress';

/** A progress update. */
export interface ProgressEvent {
  readonly reader: string;
  readonly done: number;
  readonly total: number;
  readonly failed: number;
  readonly elapsedSeconds: number;
}

/** How progress is shown: automatically (bar on a TTY, lines otherwise), a bar, lines, nothing, or your callback. */
export type ProgressOption = 'auto' | 'bar' | 'lines' | 'none' | ((event: ProgressEvent) => void);

/** A progress reporter for one extraction run. */
export interface ProgressReporter {
  update(done: number, failed: number): void;
  stop(): void;
}

const formatDuration = (seconds: number) =>
  seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${seconds.toFixed(0)}s`;

/** Creates the reporter chosen by `option`. */
export function createProgressReporter(
  option: ProgressOption,
  reader: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  if (typeof option === 'function') {
    return { update: (done, failed) => option({ reader, done, total, failed, elapsedSeconds: elapsed() }), stop() {} };
  }
  const mode = option === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : option;
  if (mode === 'none' || total === 0) return { update() {}, stop() {} };
  if (mode === 'bar') {
    const bar = new cliProgress.SingleBar(
      {
        format: `extracting ${reader} [{bar}] {value}/{total} {percentage}% | {rate} items/s | ETA {eta_formatted} | failed {failed}`,
        stream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', failed: 0 });
    return {
      update: (done, failed) => bar.update(done, { rate: (done / Math.max(elapsed(), 1e-3)).toFixed(1), failed }),
      stop: () => bar.stop(),
    };
  }
  let lastDone = 0;
  let lastTime = 0;
  return {
    update(done, failed) {
      const now = elapsed();
      if (done < total && done - lastDone < total / 10 && now - lastTime < 10) return;
      lastDone = done;
      lastTime = now;
      const rate = done / Math.max(now, 1e-3);
      const eta = rate > 0 ? (total - done) / rate : 0;
      stream.write(
        `extracting ${reader}: ${done}/${total} (${Math.floor((100 * done) / total)}%), ${rate.toFixed(1)} items/s, ETA ${formatDuration(eta)}${failed ? `, ${failed} failed` : ''}\n`,
      );
    },
    stop() {},
  };
}
