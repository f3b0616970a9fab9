import { MissingDependencyError } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { requireOptional } from './require-optional';

const notFound = (specifier: string) =>
  (() => {
    throw Object.assign(new Error(`Cannot find module '${specifier}'`), { code: 'MODULE_NOT_FOUND' });
  }) as unknown as NodeJS.Require;

describe('requireOptional', () => {
  it('loads an installed CommonJS package (meyda, a devDependency here)', () => {
    const meyda = requireOptional('meyda', 'Spectral descriptors') as { extract?: unknown };
    expect(typeof meyda.extract).toBe('function');
  });

  it('raises MissingDependencyError naming `npm i meyda` when meyda is installed nowhere', () => {
    let caught: unknown;
    try {
      requireOptional('meyda', 'Spectral descriptors', [notFound('meyda'), notFound('meyda')]);
    } catch (error) {
      caught = error;
    }
    expect(MissingDependencyError.isInstance(caught)).toBe(true);
    expect((caught as MissingDependencyError).packageName).toBe('meyda');
    expect((caught as Error).message).toMatch(/Spectral descriptors need the optional peer dependency meyda.*`npm i meyda`/);
  });

  it('lets errors raised while the package loads pass through', () => {
    const broken = (() => {
      throw new TypeError('broken module body');
    }) as unknown as NodeJS.Require;
    expect(() => requireOptional('meyda', 'Spectral descriptors', [broken])).toThrow(TypeError);
  });

  it('really resolves from the working directory when the package is nowhere: a made-up name', () => {
    expect(() => requireOptional('@polytask/no-such-package', 'Testing')).toThrow(/npm i @polytask\/no-such-package/);
  });
});

describe('package.json', () => {
  it('keeps meyda out of the dependencies: an optional peer, and a devDependency for the tests', () => {
    expect(Object.keys(packageJson.dependencies)).not.toContain('meyda');
    expect(packageJson.peerDependencies.meyda).toBeDefined();
    expect(packageJson.peerDependenciesMeta.meyda).toEqual({ optional: true });
    expect(packageJson.devDependencies.meyda).toBeDefined();
  });
});
