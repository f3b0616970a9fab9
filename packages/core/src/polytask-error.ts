/**
 * The error hierarchy every Polytask package throws. Each error names what was
 * expected, what was found and what to do, and carries the offending values in
 * `context` and the underlying failure in `cause`.
 */

const marker = Symbol.for('polytask.error');

/** Values that explain an error: the file, the argument, the bad value. */
export type ErrorContext = Readonly<Record<string, unknown>>;

/** Options shared by every Polytask error. */
export interface PolytaskErrorOptions {
  /** What went wrong, what was expected, and how to fix it. */
  readonly message: string;
  /** Values that locate the problem (file path, argument name, received value). */
  readonly context?: ErrorContext;
  /** The lower-level error that caused this one. */
  readonly cause?: unknown;
}

/**
 * Base class of every error Polytask throws. Test with `PolytaskError.isInstance(error)`,
 * which also works across duplicate copies of the package.
 */
export class PolytaskError extends Error {
  /** Values that locate the problem. */
  readonly context: ErrorContext;

  constructor({ message, context = {}, cause }: PolytaskErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'PolytaskError';
    this.context = context;
    Object.defineProperty(this, marker, { value: true });
  }

  /** True when `error` is a Polytask error, whichever copy of this package created it. */
  static isInstance(error: unknown): error is PolytaskError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}

/** A function or option received a value outside what it accepts. */
export class InvalidArgumentError extends PolytaskError {
  /** The name of the argument or option. */
  readonly argument: string;
  /** The value received. */
  readonly value: unknown;

  constructor(options: { argument: string; value: unknown; message: string; cause?: unknown }) {
    super({ message: options.message, context: { argument: options.argument, value: options.value }, cause: options.cause });
    this.name = 'InvalidArgumentError';
    this.argument = options.argument;
    this.value = options.value;
  }

  static override isInstance(error: unknown): error is InvalidArgumentError {
    return PolytaskError.isInstance(error) && error.name === 'InvalidArgumentError';
  }
}

/** A file or folder the caller pointed at does not exist. */
export class MissingFileError extends PolytaskError {
  /** The path that was looked for. */
  readonly path: string;

  constructor(options: { path: string; message: string; cause?: unknown }) {
    super({ message: options.message, context: { path: options.path }, cause: options.cause });
    this.name = 'MissingFileError';
    this.path = options.path;
  }

  static override isInstance(error: unknown): error is MissingFileError {
    return PolytaskError.isInstance(error) && error.name === 'MissingFileError';
  }
}

/** A file exists but its content is not what it should be (corrupt audio, bad metadata row). */
export class DataFormatError extends PolytaskError {
  /** The file whose content is wrong. */
  readonly path: string;

  constructor(options: { path: string; message: string; context?: ErrorContext; cause?: unknown }) {
    super({ message: options.message, context: { ...options.context, path: options.path }, cause: options.cause });
    this.name = 'DataFormatError';
    this.path = options.path;
  }

  static override isInstance(error: unknown): error is DataFormatError {
    return PolytaskError.isInstance(error) && error.name === 'DataFormatError';
  }
}

/** Two things that must agree in size do not (features vs targets, model heads vs tasks). */
export class ShapeMismatchError extends PolytaskError {
  /** The shape or count that was required. */
  readonly expected: unknown;
  /** The shape or count that was found. */
  readonly actual: unknown;

  constructor(options: { expected: unknown; actual: unknown; message: string; context?: ErrorContext }) {
    super({ message: options.message, context: { ...options.context, expected: options.expected, actual: options.actual } });
    this.name = 'ShapeMismatchError';
    this.expected = options.expected;
    this.actual = options.actual;
  }

  static override isInstance(error: unknown): error is ShapeMismatchError {
    return PolytaskError.isInstance(error) && error.name === 'ShapeMismatchError';
  }
}

/** A regression target is NaN or infinite: the item, task and (when known) dataset are named so the source row can be fixed. */
export class NonFiniteTargetError extends PolytaskError {
  /** The task whose target it is. */
  readonly task: string;
  /** The item (example id, or its position when no id is known). */
  readonly item: string;
  /** The dataset (reader) name, when known. */
  readonly dataset: string | undefined;
  /** The offending value. */
  readonly value: number;

  constructor(options: { task: string; item: string; dataset?: string; value: number }) {
    const where = options.dataset === undefined ? '' : ` of dataset "${options.dataset}"`;
    super({
      message: `Item "${options.item}"${where} has the target ${options.value} for regression task "${options.task}"; targets must be finite numbers. Fix or drop the item.`,
      context: { task: options.task, item: options.item, dataset: options.dataset, value: options.value },
    });
    this.name = 'NonFiniteTargetError';
    this.task = options.task;
    this.item = options.item;
    this.dataset = options.dataset;
    this.value = options.value;
  }

  static override isInstance(error: unknown): error is NonFiniteTargetError {
    return PolytaskError.isInstance(error) && error.name === 'NonFiniteTargetError';
  }
}

/** An experiment configuration holds a bad value at `configPath` (for example `training.lr`). */
export class ConfigError extends PolytaskError {
  /** Dotted path of the bad entry inside the configuration. */
  readonly configPath: string;

  constructor(options: { configPath: string; value: unknown; message: string; cause?: unknown }) {
    super({ message: options.message, context: { configPath: options.configPath, value: options.value }, cause: options.cause });
    this.name = 'ConfigError';
    this.configPath = options.configPath;
  }

  static override isInstance(error: unknown): error is ConfigError {
    return PolytaskError.isInstance(error) && error.name === 'ConfigError';
  }
}

/** A compute backend was requested but cannot be initialised on this machine. */
export class BackendUnavailableError extends PolytaskError {
  /** The backend that was asked for. */
  readonly backend: string;

  constructor(options: { backend: string; message: string; cause?: unknown }) {
    super({ message: options.message, context: { backend: options.backend }, cause: options.cause });
    this.name = 'BackendUnavailableError';
    this.backend = options.backend;
  }

  static override isInstance(error: unknown): error is BackendUnavailableError {
    return PolytaskError.isInstance(error) && error.name === 'BackendUnavailableError';
  }
}

/** Why the file system refused a write, as {@link StorageError} reports it. */
export type StorageProblem = 'disk-full' | 'read-only' | 'permission-denied';

const storageProblems: Readonly<Record<string, StorageProblem>> = {
  ENOSPC: 'disk-full',
  EDQUOT: 'disk-full',
  EFBIG: 'disk-full',
  EROFS: 'read-only',
  EACCES: 'permission-denied',
  EPERM: 'permission-denied',
};

const storageAdvice: Readonly<Record<StorageProblem, string>> = {
  'disk-full': 'the disk (or quota) is full: free space there or choose another folder',
  'read-only': 'the file system is read-only: choose a writable folder',
  'permission-denied': 'this user may not write there: fix the permissions or choose another folder',
};

/** Writing to disk failed for a reason the user must fix: a full disk, a read-only or forbidden folder. */
export class StorageError extends PolytaskError {
  /** The file or folder that could not be written. */
  readonly path: string;
  readonly problem: StorageProblem;

  constructor(options: { path: string; problem: StorageProblem; what: string; code?: string; fix?: string; cause?: unknown }) {
    super({
      message: `Cannot write ${options.what} at ${options.path}: ${storageAdvice[options.problem]}${options.code ? ` (${options.code})` : ''}${options.fix ? `; ${options.fix}` : ''}. Nothing already written was changed.`,
      context: { path: options.path, problem: options.problem, code: options.code },
      cause: options.cause,
    });
    this.name = 'StorageError';
    this.path = options.path;
    this.problem = options.problem;
  }

  static override isInstance(error: unknown): error is StorageError {
    return PolytaskError.isInstance(error) && error.name === 'StorageError';
  }

  /**
   * The {@link StorageError} a file-system error stands for (disk full, read-only, permission
   * denied), or `error` itself when it is another failure.
   * @example catch (error) { throw StorageError.from(error, { path: file, what: 'the metrics' }) }
   */
  static from(error: unknown, options: { path: string; what: string; fix?: string }): unknown {
    const code = (error as { code?: unknown } | null)?.code;
    const problem = typeof code === 'string' ? storageProblems[code] : undefined;
    if (!problem || StorageError.isInstance(error)) return error;
    return new StorageError({ ...options, problem, code: code as string, cause: error });
  }
}
