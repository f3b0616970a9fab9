/**
 * Errors of the feature cache: a cache that cannot be trusted ({@link InvalidCacheError}),
 * and a cache, journal or lock that cannot be written ({@link CacheWriteError}: disk full,
 * read-only or forbidden folder). Both name the path and what to do.
 */
import { PolytaskError } from '@polytask/core';

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

/** System error codes that mean "this place cannot be written" rather than a bug. */
const unwritableCodes = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EFBIG']);

/** True when `error` is a file-system error of a full disk, a read-only file system or missing permissions. */
export function isUnwritableError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && unwritableCodes.has(code);
}

/** A feature cache, journal or lock file could not be written: disk full (ENOSPC), read-only (EROFS) or forbidden (EACCES). */
export class CacheWriteError extends PolytaskError {
  /** The file or folder that could not be written. */
  readonly path: string;
  /** The system error code (`ENOSPC`, `EROFS`, `EACCES`, ...). */
  readonly code: string;

  constructor(options: { path: string; code: string; cause?: unknown }) {
    const problem =
      options.code === 'ENOSPC' || options.code === 'EDQUOT' || options.code === 'EFBIG'
        ? 'the disk (or quota) is full'
        : options.code === 'EROFS'
          ? 'the file system is read-only'
          : 'permission is denied';
    super({
      message: `Cannot write the feature cache at ${options.path}: ${problem} (${options.code}). Free space or fix the folder's permissions, or choose another cacheDirectory.`,
      context: { path: options.path, code: options.code },
      cause: options.cause,
    });
    this.name = 'CacheWriteError';
    this.path = options.path;
    this.code = options.code;
  }

  static override isInstance(error: unknown): error is CacheWriteError {
    return PolytaskError.isInstance(error) && error.name === 'CacheWriteError';
  }
}

/**
 * Turns a full-disk, read-only or permission error into a {@link CacheWriteError} naming `path`; returns any other error as is.
 * @example catch (error) { throw asCacheWriteError(error, directory); }
 */
export function asCacheWriteError(error: unknown, path: string): unknown {
  if (CacheWriteError.isInstance(error) || !isUnwritableError(error)) return error;
  return new CacheWriteError({ path: error.path ?? path, code: error.code as string, cause: error });
}
