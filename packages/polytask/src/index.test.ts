import * as core from '@polytask/core';
import * as training from '@polytask/training';
import { describe, expect, it } from 'vitest';
import * as polytask from './index';

describe('polytask meta package', () => {
  it('re-exports the very same functions and classes, not copies', () => {
    expect(polytask.defineTask).toBe(core.defineTask);
    expect(polytask.PolytaskError).toBe(core.PolytaskError);
    expect(polytask.selectBackend).toBe(training.selectBackend);
  });

  it('exposes a curated list, not everything', () => {
    expect(Object.keys(polytask).sort()).toEqual(
      [
        'BackendUnavailableError',
        'ConfigError',
        'DataFormatError',
        'InvalidArgumentError',
        'MissingFileError',
        'PolytaskError',
        'ShapeMismatchError',
        'decodeTarget',
        'defineTask',
        'encodeTarget',
        'featureMatrix',
        'selectBackend',
        'taskOutputSize',
      ].sort(),
    );
  });
});
