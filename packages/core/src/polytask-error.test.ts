import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  ConfigError,
  DataFormatError,
  InvalidArgumentError,
  MissingFileError,
  PolytaskError,
  ShapeMismatchError,
  StorageError,
} from './polytask-error';

describe('PolytaskError', () => {
  it('carries message, context and cause', () => {
    const cause = new Error('disk full');
    const error = new PolytaskError({ message: 'could not write', context: { path: '/tmp/x' }, cause });
    expect(error.message).toBe('could not write');
    expect(error.context).toEqual({ path: '/tmp/x' });
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PolytaskError');
  });

  it('recognises errors from another copy of the package by marker, not by prototype', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('polytask.error')]: true, name: 'DataFormatError' });
    expect(PolytaskError.isInstance(foreign)).toBe(true);
    expect(DataFormatError.isInstance(foreign)).toBe(true);
    expect(PolytaskError.isInstance(new Error('plain'))).toBe(false);
    expect(PolytaskError.isInstance(null)).toBe(false);
    expect(PolytaskError.isInstance('text')).toBe(false);
  });

  it('gives each subclass its name, fields and a discriminating isInstance', () => {
    const cases = [
      [
        new InvalidArgumentError({ argument: 'hopLength', value: -1, message: 'm' }),
        InvalidArgumentError,
        { argument: 'hopLength', value: -1 },
      ],
      [new MissingFileError({ path: 'a.wav', message: 'm' }), MissingFileError, { path: 'a.wav' }],
      [new DataFormatError({ path: 'b.wav', message: 'm', context: { offset: 12 } }), DataFormatError, { path: 'b.wav', offset: 12 }],
      [new ShapeMismatchError({ expected: 3, actual: 4, message: 'm' }), ShapeMismatchError, { expected: 3, actual: 4 }],
      [
        new ConfigError({ configPath: 'training.lr', value: 'fast', message: 'm' }),
        ConfigError,
        { configPath: 'training.lr', value: 'fast' },
      ],
      [new BackendUnavailableError({ backend: 'tensorflow', message: 'm' }), BackendUnavailableError, { backend: 'tensorflow' }],
    ] as const;
    const names = new Set<string>();
    for (const [error, errorClass, context] of cases) {
      names.add(error.name);
      expect(error).toBeInstanceOf(PolytaskError);
      expect(errorClass.isInstance(error)).toBe(true);
      expect(error.context).toEqual(context);
      for (const [, otherClass] of cases) {
        if (otherClass !== errorClass) expect(otherClass.isInstance(error)).toBe(false);
      }
    }
    expect(names.size).toBe(cases.length);
  });
});

describe('StorageError.from', () => {
  it('names a full disk, a read-only and a forbidden folder; passes other errors through', () => {
    const failure = (code: string) => Object.assign(new Error(`${code}: failed`), { code });
    for (const [code, problem] of [
      ['ENOSPC', 'disk-full'],
      ['EDQUOT', 'disk-full'],
      ['EROFS', 'read-only'],
      ['EACCES', 'permission-denied'],
      ['EPERM', 'permission-denied'],
    ] as const) {
      const error = StorageError.from(failure(code), { path: '/runs/a/metrics.jsonl', what: 'the metrics' });
      expect(StorageError.isInstance(error)).toBe(true);
      expect((error as StorageError).problem).toBe(problem);
      expect((error as StorageError).path).toBe('/runs/a/metrics.jsonl');
      expect((error as Error).message).toMatch(/^Cannot write the metrics at \/runs\/a\/metrics\.jsonl: /);
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
    const other = failure('ENOENT');
    expect(StorageError.from(other, { path: '/x', what: 'x' })).toBe(other);
    expect(StorageError.from('text', { path: '/x', what: 'x' })).toBe('text');
  });
});
