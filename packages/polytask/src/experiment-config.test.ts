import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@polytask/core';
import { resampleMethods } from '@polytask/extraction';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOverride, loadExperimentConfig, parseExperimentConfig } from './experiment-config';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const minimal = {
  datasets: [{ reader: 'esc50', options: { directory: 'data/ESC-50' } }],
  extraction: { name: 'log-mel', sampleRate: 22050 },
};

describe('experiment configs', () => {
  it('fills defaults', () => {
    const config = parseExperimentConfig(minimal);
    expect(config.training).toMatchObject({ epochs: 20, batchSize: 32, lr: 0.001, optimizer: 'adam', lossCombiner: 'sum' });
    expect(config.split).toEqual({ kind: 'k-fold', folds: 5 });
    expect(config.model).toEqual({ kind: 'dnn' });
  });

  it('accepts RLW, FAMO, DB-MTL, IMTL, MGDA and Aligned-MTL with their options, and rejects bad ones', () => {
    const training = (lossCombiner: unknown) => ({ ...minimal, training: { lossCombiner } });
    expect(parseExperimentConfig(training('random-loss-weighting')).training.lossCombiner).toBe('random-loss-weighting');
    expect(parseExperimentConfig(training({ kind: 'random-loss-weighting', seed: 3 })).training.lossCombiner).toEqual({
      kind: 'random-loss-weighting',
      seed: 3,
    });
    expect(parseExperimentConfig(training({ kind: 'famo', learningRate: 0.05, weightDecay: 0 })).training.lossCombiner).toEqual({
      kind: 'famo',
      learningRate: 0.05,
      weightDecay: 0,
    });
    expect(parseExperimentConfig(training({ kind: 'db-mtl', beta: 0.5, betaSigma: 0.5 })).training.lossCombiner).toEqual({
      kind: 'db-mtl',
      beta: 0.5,
      betaSigma: 0.5,
    });
    expect(() => parseExperimentConfig(training({ kind: 'db-mtl', beta: 2 }))).toThrow(ConfigError);
    expect(parseExperimentConfig(training('imtl')).training.lossCombiner).toBe('imtl');
    expect(() => parseExperimentConfig(training({ kind: 'imtl', alpha: 1 }))).toThrow(ConfigError);
    for (const kind of ['cagrad', 'gradvac', 'graddrop']) expect(parseExperimentConfig(training(kind)).training.lossCombiner).toBe(kind);
    expect(parseExperimentConfig(training({ kind: 'cagrad', calpha: 0.4, rescale: 2 })).training.lossCombiner).toEqual({
      kind: 'cagrad',
      calpha: 0.4,
      rescale: 2,
    });
    expect(() => parseExperimentConfig(training({ kind: 'cagrad', rescale: 3 }))).toThrow(ConfigError);
    expect(parseExperimentConfig(training({ kind: 'gradvac', beta: 0.1, groupType: 1, seed: 2 })).training.lossCombiner).toEqual({
      kind: 'gradvac',
      beta: 0.1,
      groupType: 1,
      seed: 2,
    });
    expect(() => parseExperimentConfig(training({ kind: 'gradvac', groupType: 3 }))).toThrow(ConfigError);
    expect(parseExperimentConfig(training({ kind: 'graddrop', leak: 0.2, seed: 1 })).training.lossCombiner).toEqual({
      kind: 'graddrop',
      leak: 0.2,
      seed: 1,
    });
    expect(() => parseExperimentConfig(training({ kind: 'graddrop', leak: 1.5 }))).toThrow(ConfigError);
    expect(parseExperimentConfig(training('mgda')).training.lossCombiner).toBe('mgda');
    expect(parseExperimentConfig(training({ kind: 'mgda', gradientNormalization: 'loss+' })).training.lossCombiner).toEqual({
      kind: 'mgda',
      gradientNormalization: 'loss+',
    });
    expect(() => parseExperimentConfig(training({ kind: 'mgda', gradientNormalization: 'l1' }))).toThrow(ConfigError);
    expect(parseExperimentConfig(training('aligned-mtl')).training.lossCombiner).toBe('aligned-mtl');
    expect(() => parseExperimentConfig(training({ kind: 'aligned-mtl', scale: 1 }))).toThrow(ConfigError);
    expect(parseExperimentConfig(training('nash-mtl')).training.lossCombiner).toBe('nash-mtl');
    expect(parseExperimentConfig(training({ kind: 'uncertainty', form: 'libmtl' })).training.lossCombiner).toEqual({
      kind: 'uncertainty',
      form: 'libmtl',
    });
    expect(parseExperimentConfig(training({ kind: 'pcgrad', scope: 'shared' })).training.lossCombiner).toEqual({
      kind: 'pcgrad',
      scope: 'shared',
    });
    expect(() => parseExperimentConfig(training({ kind: 'pcgrad', scope: 'heads' }))).toThrow(ConfigError);
    expect(parseExperimentConfig(training({ kind: 'mgda-ub', gradientNormalization: 'l2' })).training.lossCombiner).toEqual({
      kind: 'mgda-ub',
      gradientNormalization: 'l2',
    });
    expect(
      parseExperimentConfig(training({ kind: 'nash-mtl', updateWeightsEvery: 2, optimizationIterations: 5, maxNorm: 0 })).training
        .lossCombiner,
    ).toEqual({ kind: 'nash-mtl', updateWeightsEvery: 2, optimizationIterations: 5, maxNorm: 0 });
    expect(() => parseExperimentConfig(training({ kind: 'nash-mtl', updateWeightsEvery: 0 }))).toThrow(ConfigError);
    expect(() => parseExperimentConfig(training({ kind: 'famo', learningRate: 0 }))).toThrow(ConfigError);
    expect(() => parseExperimentConfig(training({ kind: 'random-loss-weighting', seed: 0.5 }))).toThrow(ConfigError);
  });

  it('accepts training augmentations by kind, and names the bad field', () => {
    const training = (augmentations: unknown) => ({ ...minimal, training: { augmentations } });
    const augmentations = [
      { kind: 'spec-augment', frequencyMasks: 1, frequencyMaskWidth: 8, timeMasks: 2, timeMaskWidth: 20, maskValue: 0, timeWarp: 5 },
      { kind: 'mixup', alpha: 0.4, acrossDatasets: false },
      { kind: 'random-gain', minimumDecibels: -3, maximumDecibels: 3, featureScale: 'natural-log-power' },
      { kind: 'time-shift', maximumFrames: 4, mode: 'pad', padValue: -80 },
    ];
    expect(parseExperimentConfig(training(augmentations)).training.augmentations).toEqual(augmentations);
    expect(parseExperimentConfig(minimal).training.augmentations).toBeUndefined();
    const failure = (entry: unknown) => {
      try {
        parseExperimentConfig(training([{ kind: 'mixup' }, entry]));
      } catch (error) {
        expect(ConfigError.isInstance(error)).toBe(true);
        return (error as ConfigError).configPath;
      }
      return 'accepted';
    };
    expect(failure({ kind: 'mixup', alpha: 0 })).toBe('training.augmentations.1.alpha');
    expect(failure({ kind: 'spec-augment', timeMaskWidth: 2.5 })).toBe('training.augmentations.1.timeMaskWidth');
    expect(failure({ kind: 'spec-augment', maskValue: 'median' })).toBe('training.augmentations.1.maskValue');
    expect(failure({ kind: 'random-gain', minimumDecibels: 4, maximumDecibels: 2 })).toBe('training.augmentations.1.maximumDecibels');
    expect(failure({ kind: 'random-gain', featureScale: 'linear' })).toBe('training.augmentations.1.featureScale');
    expect(failure({ kind: 'time-shift' })).toBe('training.augmentations.1.maximumFrames');
    expect(failure({ kind: 'time-shift', maximumFrames: 2, wrap: true })).toBe('training.augmentations.1');
    expect(failure({ kind: 'reverb' })).toBe('training.augmentations.1.kind');
    // noise mixing: a corpus through any reader, an SNR range, and features left as extracted
    const noise = {
      kind: 'noise-mixing',
      corpus: { reader: 'esc50', options: { directory: 'noise' } },
      minimumSnr: 5,
      maximumSnr: 15,
      featureScale: 'decibels',
    };
    const unscaled = { ...minimal, preparation: { scaling: null }, training: { augmentations: [noise] } };
    expect(parseExperimentConfig(unscaled).training.augmentations).toEqual([{ ...noise, corpus: { ...noise.corpus } }]);
    expect(failure({ ...noise, maximumSnr: 0 })).toBe('training.augmentations.1.maximumSnr');
    expect(failure({ ...noise, corpus: { reader: 'esc50', tasks: {} } })).toBe('training.augmentations.1.corpus');
    expect(failure({ ...noise, probability: 2 })).toBe('training.augmentations.1.probability');
    // a preparation without a scaling leaves the features as extracted
    expect(
      parseExperimentConfig({ ...minimal, preparation: { frames: { fit: 'minimum' } }, training: { augmentations: [noise] } }).training
        .augmentations,
    ).toHaveLength(1);
    // with the default per-feature scaling: refused, naming the fix
    expect(() => parseExperimentConfig({ ...minimal, training: { augmentations: [noise] } })).toThrow(
      /training\.augmentations\.0: noise mixing adds signal and noise powers.*"preparation": \{ "scaling": null \}/,
    );
  });

  it('accepts a bad-audio policy per dataset, as the extraction error recommends', () => {
    const config = parseExperimentConfig({ ...minimal, datasets: [{ ...minimal.datasets[0], onError: 'skip' }, { reader: 'esc50' }] });
    expect(config.datasets.map((entry) => entry.onError)).toEqual(['skip', undefined]);
  });

  it('accepts every resampling method of the extraction package', () => {
    for (const resampling of resampleMethods) {
      const config = parseExperimentConfig({ ...minimal, extraction: { ...minimal.extraction, resampling } });
      expect(config.extraction.resampling).toBe(resampling);
    }
  });

  it.each([
    [{ ...minimal, extraction: { ...minimal.extraction, resampling: 'sinc' } }, 'extraction.resampling', /extraction\.resampling/],
    [{ ...minimal, training: { lr: 'fast' } }, 'training.lr', /training\.lr: .*got "fast"/],
    [{ ...minimal, datasets: [] }, 'datasets', /datasets: .*got \[\]/],
    [{ ...minimal, model: { kind: 'transformer' } }, 'model.kind', /model\.kind/],
    [{ ...minimal, training: { epocs: 3 } }, 'training', /unknown key\(s\) "epocs"/],
    [{ ...minimal, model: { kind: 'cross-stitch', experts: 4 } }, 'model', /unknown key\(s\) "experts"/],
    [{ ...minimal, model: { kind: 'mmoe', experts: 0 } }, 'model.experts', /model\.experts/],
    [{ ...minimal, model: { kind: 'cgc', levels: 1.5 } }, 'model.levels', /model\.levels/],
    [{ ...minimal, model: { kind: 'cross-stitch', selfWeight: 1.5 } }, 'model.selfWeight', /model\.selfWeight/],
    [{ ...minimal, model: { kind: 'mtan', hiddenUnits: [8] } }, 'model', /unknown key\(s\) "hiddenUnits"/],
    [{ ...minimal, datasets: [{ reader: 'ESC 50' }] }, 'datasets.0.reader', /datasets\.0\.reader/],
    [{ ...minimal, datasets: [{ reader: 'esc50', onError: 'ignore' }] }, 'datasets.0.onError', /datasets\.0\.onError/],
  ])('names the path of a bad value', (input, configPath, message) => {
    try {
      parseExperimentConfig(input, 'exp.json');
      expect.unreachable();
    } catch (error) {
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as ConfigError).configPath).toBe(configPath);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/^exp\.json: /);
    }
  });

  it('accepts the soft-sharing models with their options', () => {
    const models = [
      { kind: 'cross-stitch', hiddenUnits: [16, 16], selfWeight: 0.8, dropout: 0.1 },
      { kind: 'mmoe', hiddenUnits: [16], experts: 3, towerUnits: [8], batchNorm: true },
      { kind: 'cgc', hiddenUnits: [16], sharedExperts: 2, taskExperts: 1, levels: 2, towerUnits: [] },
      { kind: 'mtan', filters: [8, 16], kernelSize: [3, 3], denseUnits: 16, readout: 'flatten' },
      { kind: 'cross-stitch-cnn', filters: [8], denseUnits: 0, selfWeight: 0.7 },
    ];
    for (const model of models) expect(parseExperimentConfig({ ...minimal, model }).model).toEqual(model);
  });

  it('applies --set overrides by dotted path, parsing JSON values', () => {
    const file = path.join(root, 'base.json');
    writeFileSync(file, JSON.stringify(minimal));
    const config = loadExperimentConfig(file, [
      'training.lr=0.0005',
      'model.kind="cnn"',
      'model.filters=[8,16]',
      'name=variant-b',
      'datasets.0.options.directory=/data/esc',
    ]);
    expect(config.training.lr).toBe(0.0005);
    expect(config.model).toEqual({ kind: 'cnn', filters: [8, 16] });
    expect(config.name).toBe('variant-b');
    expect(config.datasets[0]?.options).toEqual({ directory: '/data/esc' });
    expect(applyOverride({}, 'a.b=text')).toEqual({ a: { b: 'text' } });
    expect(() => applyOverride({}, 'nothing')).toThrow(/must look like path\.to\.key=value/);
    expect(() => loadExperimentConfig(path.join(root, 'missing.json'))).toThrow(/no such experiment file/);
    writeFileSync(path.join(root, 'broken.json'), '{ "datasets": ');
    expect(() => loadExperimentConfig(path.join(root, 'broken.json'))).toThrow(/is not valid JSON/);
  });
});
