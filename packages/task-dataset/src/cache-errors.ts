/**
 * Errors of the feature cache: a cache that cannot be trusted ({@link InvalidCacheError}), and a
 * cache, journal or lock that cannot be written (a `StorageError`: disk full, read-only or
 * forbidden folder). Both name the path and what to do.
 */
import { PolytaskError, StorageError } from '@polytask/core';

/** A cache directory is unusable: missing files, wrong sizes, checksum mismatch, unreadable manifest, damaged example. */
export class InvalidCacheError extends PolytaskError {
  /** The cache directory. */
  readonly directory: string;
  /** What is wrong, one phrase. */
  readonly reason: string;

  constructor(options: { directory: string; reason: string; cause?: unknown }) {
    super({
      message: `Feature cache ${options.directory} is invalid: ${options.reason.replace(/\.$/, '')}. readDataset rebuilds it on the next run (or delete it).`,
      context: { directory: options.directory, reason: options.reason },
      cause: options.cause,
    });
    this.name = 'InvalidCacheError';
    this.directory = options.directory;
    this.reason = options.reason;
  }

  static override isInstance(error: unknown): error is InvalidCacheError {
    return PolytaskError.isInstance(error) && error.name === 'InvalidCacheError';
  }
}

/**
 * Turns a full-disk, read-only or permission error into a `StorageError` (from `@polytask/core`)
 * naming `path` and the fix; returns any other error as is.
 * @example catch (error) { throw asCacheWriteError(error, directory); }
 */
export function asCacheWriteError(error: unknown, path: string): unknown {
  const failedPath = (error as NodeJS.ErrnoException | undefined)?.path;
  return StorageError.from(error, { path: failedPath ?? path, what: 'the feature cache', fix: 'cacheDirectory chooses the folder' });
}
