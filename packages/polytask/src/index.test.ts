import * as core from '@polytask/core';
import * as extraction from '@polytask/extraction';
import * as training from '@polytask/training';
import { describe, expect, it } from 'vitest';
import * as polytask from './index';

describe('polytask meta package', () => {
  it('re-exports the very same functions and classes, not copies', () => {
    expect(polytask.defineTask).toBe(core.defineTask);
    expect(polytask.PolytaskError).toBe(core.PolytaskError);
    expect(polytask.selectBackend).toBe(training.selectBackend);
    expect(polytask.logMelSpectrogram).toBe(extraction.logMelSpectrogram);
  });

  it('exposes a curated list, not everything', () => {
    expect(Object.keys(polytask).sort()).toEqual(
      [
        'BackendUnavailableError',
        'ConfigError',
        'DataFormatError',
        'InvalidArgumentError',
        'MissingDependencyError',
        'MissingFileError',
        'NonFiniteTargetError',
        'PolytaskError',
        'ShapeMismatchError',
        'decodeTarget',
        'defineTask',
        'encodeRegressionTarget',
        'encodeTarget',
        'featureMatrix',
        'selectBackend',
        'registerTensorLoss',
        'VariableKeyedOptimizer',
        'loadExtensions',
        'taskOutputSize',
        'createDefaultExtractionRegistry',
        'createFrameCountFitter',
        'createScaler',
        'cutOrPad',
        'extractionSpecHash',
        'filterbankEnergies',
        'logbankSummary',
        'logFilterbankEnergies',
        'logMelSpectrogram',
        'melSpectrogram',
        'mfcc',
        'readAudioFile',
        'resample',
        'spectrogram',
        'windowExamples',
        'createTask',
        'createTaskDataset',
        'datasetCacheDirectory',
        'InvalidCacheError',
        'loadTaskDataset',
        'predefinedTrainTest',
        'renameTasks',
        'saveTaskDataset',
        'ExtractionFailedError',
        'readDataset',
        'combineDatasets',
        'createBatchSampler',
        'createTrainingSets',
        'iterateBatches',
        'LeakageError',
        'computeTaskMetrics',
        'createRunStore',
        'createRunStoreObserver',
        'createTensorBoardObserver',
        'createTensorBoardWriter',
        'openRun',
        'renderConfusionMatrixPng',
        'checkModelForTasks',
        'createMultiTaskCnn',
        'createMultiTaskDnn',
        'trainFold',
        'applyOverride',
        'experimentConfigSchema',
        'loadExperimentConfig',
        'parseExperimentConfig',
        'readExperimentDatasets',
        'PlanMismatchError',
        'SlurmSubmitError',
        'collectExperiment',
        'expandSweep',
        'formatPlan',
        'multiTaskDelta',
        'planConfig',
        'runExtractionUnits',
        'runUnitsInParallel',
        'submitSlurmJobs',
        'writeSlurmScripts',
        'resumeExperiment',
        'runExperiment',
        'evaluateRunCheckpoints',
      ].sort(),
    );
  });
});
