import '@tensorflow/tfjs-backend-cpu';
import { createTask, meanAbsoluteError } from '@polytask/task-dataset';
import { combineDatasets } from '@polytask/training-sets';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { balancedClassWeights, crossEntropyLoss, regressionLoss, resolveTaskLosses } from './task-losses';
import { events, keyword, learnableDataset, loudness, speaker } from './test-support';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rowLosses = (
  loss: ReturnType<typeof crossEntropyLoss>,
  probabilities: number[][],
  targets: number[][],
  kind: 'multi-class' | 'binary' | 'multi-label' | 'regression',
) => Array.from(loss({ probabilities: tf.tensor2d(probabilities), targets: tf.tensor2d(targets), kind }).dataSync());

describe('task losses', () => {
  it('weighted and focal cross-entropy, by hand', () => {
    const [p, q] = [0.7, 0.2];
    // multi-class: −w_y (1 − p_y)^γ log p_y
    expect(rowLosses(crossEntropyLoss({ gamma: 2, weights: [1, 3, 1] }), [[0.1, p, 0.2]], [[0, 1, 0]], 'multi-class')[0]).toBeCloseTo(
      -3 * (1 - p) ** 2 * Math.log(p),
      5,
    );
    // binary: weights [negative, positive]
    const binary = rowLosses(crossEntropyLoss({ weights: [0.5, 4] }), [[q], [q]], [[1], [0]], 'binary');
    expect(binary[0]).toBeCloseTo(-4 * Math.log(q), 5);
    expect(binary[1]).toBeCloseTo(-0.5 * Math.log(1 - q), 5);
    // multi-label: positive weight per label, mean over labels
    const multiLabel = rowLosses(crossEntropyLoss({ weights: [2, 1] }), [[p, q]], [[1, 0]], 'multi-label')[0];
    expect(multiLabel).toBeCloseTo((-2 * Math.log(p) - Math.log(1 - q)) / 2, 5);
  });

  it("balanced class weights as scikit-learn's compute_class_weight, over the items that carry the task", () => {
    const set = combineDatasets([
      learnableDataset({ name: 'a', tasks: [keyword, speaker], count: 30, seed: 2 }),
      learnableDataset({ name: 'b', tasks: [events], count: 10, seed: 3 }),
    ]);
    const counts = [0, 0, 0];
    const males = [0, 0];
    const first = set.datasets[0] as (typeof set.datasets)[number];
    for (let index = 0; index < 30; index++) {
      const row = first.targetsOf('keyword', index);
      counts[row.indexOf(1)] = (counts[row.indexOf(1)] as number) + 1;
      const male = first.targetsOf('speaker', index)[0] as number;
      males[male] = (males[male] as number) + 1;
    }
    expect(balancedClassWeights(set, 'keyword')).toEqual(counts.map((count) => 30 / (3 * count)));
    expect(balancedClassWeights(set, 'speaker')).toEqual(males.map((count) => 30 / (2 * count)));
    expect(balancedClassWeights(set, 'events')).toHaveLength(2);
    expect(() => resolveTaskLosses({ set, specs: { speaker: { kind: 'cross-entropy', classWeights: [1, 2, 3] } } })).toThrow(
      /needs 2 non-negative class weights \(\[negative, positive\]\)/,
    );
    expect(() => resolveTaskLosses({ set, specs: { nothing: { kind: 'focal' } } })).toThrow(/"nothing", which is not a task/);
  });

  it('a task whose own loss has no tensor form is refused before training, naming the fix', () => {
    const odd = createTask({ name: 'odd', kind: 'binary', labels: ['no', 'yes'], loss: { name: 'hinge', compute: () => 0 } });
    const set = combineDatasets([learnableDataset({ name: 'c', tasks: [odd], count: 4 })]);
    expect(() => resolveTaskLosses({ set })).toThrow(/loss "hinge", which training has no tensor form of: registerTensorLoss\('hinge'/);
    expect(resolveTaskLosses({ set, taskLosses: { odd: crossEntropyLoss() } }).size).toBe(1);
  });

  it('regression losses by hand: squared, absolute and Huber errors averaged over the outputs', () => {
    // errors 0.5 and −2 in one row, 3 and 0 in the other
    const predictions = [
      [1.5, -1],
      [5, 2],
    ];
    const targets = [
      [1, 1],
      [2, 2],
    ];
    const of = (kind: 'mean-squared-error' | 'mean-absolute-error' | 'huber', delta?: number) =>
      rowLosses(regressionLoss({ kind, ...(delta === undefined ? {} : { delta }) }), predictions, targets, 'regression');
    expect(of('mean-squared-error')).toEqual([expect.closeTo((0.25 + 4) / 2, 5), expect.closeTo(9 / 2, 5)]);
    expect(of('mean-absolute-error')).toEqual([expect.closeTo(2.5 / 2, 5), expect.closeTo(3 / 2, 5)]);
    // δ = 1: ½·0.25, 2 − ½; 3 − ½, 0
    expect(of('huber')).toEqual([expect.closeTo((0.125 + 1.5) / 2, 5), expect.closeTo(2.5 / 2, 5)]);
    // δ = 2.5: ½·0.25, ½·4; 2.5·(3 − 1.25), 0
    expect(of('huber', 2.5)).toEqual([expect.closeTo((0.125 + 2) / 2, 5), expect.closeTo(4.375 / 2, 5)]);
    expect(() => regressionLoss({ kind: 'huber', delta: 0 })).toThrow(/delta must be positive/);
  });

  it('gives a regression task its own loss by default or by spec, and refuses a classification loss for it', () => {
    const set = combineDatasets([learnableDataset({ name: 'levels', tasks: [loudness, speaker], count: 4 })]);
    const outputs = { probabilities: tf.tensor2d([[3, 1]]), targets: tf.tensor2d([[1, 1]]), kind: 'regression' as const };
    const byDefault = resolveTaskLosses({ set }).get('loudness');
    expect(byDefault?.(outputs).dataSync()[0]).toBeCloseTo(2, 5);
    const huber = resolveTaskLosses({ set, specs: { loudness: { kind: 'huber' } } }).get('loudness');
    expect(huber?.(outputs).dataSync()[0]).toBeCloseTo(0.75, 5);
    const mae = createTask({ name: 'loudness', kind: 'regression', outputs: ['low', 'high'], loss: meanAbsoluteError });
    const maeSet = combineDatasets([learnableDataset({ name: 'levels', tasks: [mae], count: 4 })]);
    expect(resolveTaskLosses({ set: maeSet }).get('loudness')?.(outputs).dataSync()[0]).toBeCloseTo(1, 5);
    expect(() => resolveTaskLosses({ set, specs: { loudness: { kind: 'focal' } } })).toThrow(/regression task: give it a regression loss/);
    expect(() => resolveTaskLosses({ set, specs: { speaker: { kind: 'huber' } } })).toThrow(/huber is a regression loss/);
  });
});
