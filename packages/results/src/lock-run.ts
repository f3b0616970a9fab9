/**
 * One writer per run folder: a lock file holding the writer's pid and host, created exclusively.
 * A second `polytask run`/`resume` of the same folder is refused while the first is alive; a lock
 * left by a process that no longer exists (same host) is taken over.
 */
import path from 'node:path';
import { PolytaskError, tryLockFile } from '@polytask/core';

/** Another live process writes the run folder. */
export class RunInUseError extends PolytaskError {
  constructor(options: { directory: string; pid: number; host: string; since: string }) {
    super({
      message: `${options.directory} is being written by process ${options.pid} on ${options.host} (since ${options.since}); wait for it to end or stop it (Ctrl-C, or kill -INT ${options.pid}) before resuming. If that process is gone, delete ${path.join(options.directory, lockFileName)}.`,
      context: { ...options },
    });
    this.name = 'RunInUseError';
  }

  static override isInstance(error: unknown): error is RunInUseError {
    return PolytaskError.isInstance(error) && error.name === 'RunInUseError';
  }
}

/** The lock file's name in a run folder. */
export const lockFileName = '.lock';

/**
 * Takes the run folder's lock; `release` gives it back (also done when the process exits). The lock
 * file appears whole or not at all, and a stale one (its process gone) is taken over safely
 * (see `tryLockFile` in `@polytask/core`).
 * @throws RunInUseError when a live process holds it.
 */
export function lockRun(directory: string): { release(): void } {
  const lock = tryLockFile(path.join(directory, lockFileName));
  if ('release' in lock) return lock;
  throw new RunInUseError({ directory, ...lock });
}
