/**
 * Extension points: a model builder, a loss combiner or a batch sampler of your own, named in an
 * experiment config and resolved from an installed package the way dataset readers are. An
 * extension package exports any of:
 *
 * - `createModel({ inputShape, tasks, seed, options })` → a tfjs LayersModel with one output per
 *   task, in `tasks` order (checked before training; see `checkModelForTasks`);
 * - `createLossCombiner({ tasks, options })` → a `LossCombiner` (`@polytask/training`);
 * - `createBatchSampler({ set, batchSize, seed, options })` → a `BatchSampler` (`@polytask/training-sets`).
 *
 * `options` is the config's `options` object, passed as is.
 */
import { ConfigError, importOptional } from '@polytask/core';
import type { HeadSpec } from '@polytask/models';
import type { LossCombiner, LossCombinerFactory } from '@polytask/training';
import type { BatchSampler, BatchSamplerFactory, CombinedSet } from '@polytask/training-sets';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ExperimentConfig } from './experiment-config';

/** What an extension package may export. */
export interface ExtensionPackage {
  createModel?(options: {
    readonly inputShape: readonly number[];
    readonly tasks: readonly HeadSpec[];
    readonly seed: number;
    readonly options: Readonly<Record<string, unknown>>;
  }): tfl.LayersModel;
  createLossCombiner?(options: { readonly tasks: readonly string[]; readonly options: Readonly<Record<string, unknown>> }): LossCombiner;
  createBatchSampler?(options: {
    readonly set: CombinedSet;
    readonly batchSize: number;
    readonly seed: number;
    readonly options: Readonly<Record<string, unknown>>;
  }): BatchSampler;
}

/** The config's extensions, loaded. */
export interface LoadedExtensions {
  readonly createModel?: (options: { inputShape: readonly number[]; tasks: readonly HeadSpec[]; seed: number }) => tfl.LayersModel;
  readonly lossCombiner?: LossCombinerFactory;
  readonly sampling?: BatchSamplerFactory;
}

/** Loads a package by name (tests replace it). @default import next to polytask, then from the application folder */
export type ExtensionImporter = (packageName: string) => Promise<unknown>;

async function load<Name extends keyof ExtensionPackage>(
  packageName: string,
  exportName: Name,
  configPath: string,
  importModule: ExtensionImporter | undefined,
): Promise<NonNullable<ExtensionPackage[Name]>> {
  const module = (await (importModule
    ? importModule(packageName)
    : importOptional(packageName, (name) => import(name), `the ${configPath} of the experiment`))) as ExtensionPackage;
  const found = module[exportName];
  if (typeof found !== 'function')
    throw new ConfigError({
      configPath,
      value: packageName,
      message: `${configPath}: ${packageName} exports no ${exportName}(...); an extension package exports createModel, createLossCombiner and/or createBatchSampler (see the polytask README).`,
    });
  return found as NonNullable<ExtensionPackage[Name]>;
}

/**
 * Imports the packages a config names as its model, loss combiner or sampler.
 * @throws MissingDependencyError when a package is not installed; ConfigError when it lacks the export.
 */
export async function loadExtensions(config: ExperimentConfig, importModule?: ExtensionImporter): Promise<LoadedExtensions> {
  const { model } = config;
  const { lossCombiner, sampling } = config.training;
  const extensions: { -readonly [Key in keyof LoadedExtensions]: LoadedExtensions[Key] } = {};
  if (model.kind === 'package') {
    const create = await load(model.package, 'createModel', 'model', importModule);
    extensions.createModel = (options) => create({ ...options, options: model.options });
  }
  if (typeof lossCombiner === 'object' && lossCombiner.kind === 'package') {
    const create = await load(lossCombiner.package, 'createLossCombiner', 'training.lossCombiner', importModule);
    extensions.lossCombiner = (tasks) => create({ tasks, options: lossCombiner.options });
  }
  if (typeof sampling === 'object') {
    const create = await load(sampling.package, 'createBatchSampler', 'training.sampling', importModule);
    extensions.sampling = (options) => create({ ...options, options: sampling.options });
  }
  return extensions;
}
