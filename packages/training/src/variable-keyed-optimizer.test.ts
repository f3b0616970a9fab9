import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import reference from './__fixtures__/optimizer-reference.json' with { type: 'json' };
import { nativeKernels } from './internal/native-kernels';
import { createTrainingOptimizer, type OptimizerSpec } from './optimizer';
import { selectBackend } from './select-backend';
import { VariableKeyedOptimizer } from './variable-keyed-optimizer';

type Values = Record<'a' | 'b', number[]>;

function loss(name: 'a' | 'b', value: tf.Tensor): tf.Scalar {
  return name === 'a'
    ? tf.add(tf.sum(tf.square(tf.sub(value, 0.3))), tf.sum(tf.sin(value)))
    : tf.add(tf.mul(tf.sum(tf.pow(value, 4)), 0.1), tf.sum(value));
}

/** Steps `from`..`to` (1-based) of the fixture's schedule: variable b has no gradient in its absent steps. */
function steps(optimizer: tf.Optimizer, variables: Record<'a' | 'b', tf.Variable>, from: number, to: number): Values[] {
  const trajectory: Values[] = [];
  for (let step = from; step <= to; step++) {
    const present = (['a', 'b'] as const).filter((name) => !(reference.absent as Record<string, number[]>)[name]?.includes(step));
    const { value, grads } = tf.variableGrads(
      () => present.map((name) => loss(name, variables[name])).reduce((sum, term) => tf.add(sum, term)) as tf.Scalar,
      present.map((name) => variables[name]),
    );
    // gradients come keyed by name in the order tfjs found them: b's absence shifts nothing here
    optimizer.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
    trajectory.push({ a: Array.from(variables.a.dataSync()), b: Array.from(variables.b.dataSync()) });
  }
  return trajectory;
}

function freshVariables(): Record<'a' | 'b', tf.Variable> {
  return { a: tf.variable(tf.tensor(reference.initial.a)), b: tf.variable(tf.tensor(reference.initial.b)) };
}

function expectTrajectory(actual: Values[], expected: readonly Values[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((values, step) => {
    for (const name of ['a', 'b'] as const) {
      const want = (expected[step] as Values)[name];
      values[name].forEach((value, index) => {
        const error = Math.abs(value - (want[index] as number));
        if (error > tolerance) throw new Error(`step ${step + 1}, ${name}[${index}]: ${value} vs PyTorch ${want[index]}`);
      });
    }
  });
}

describe.each(['cpu', 'wasm'] as const)('VariableKeyedOptimizer on %s', (backend) => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(reference.cases.map((entry) => [entry.name, entry] as const))(
    '%s takes PyTorch 2.13 steps, skipping a variable without a gradient',
    async (_, entry) => {
      if (backend === 'wasm') {
        await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
        expect(nativeKernels(tf.backend())).toBeDefined();
      } else await tf.setBackend('cpu');
      const variables = freshVariables();
      const { optimizer } = createTrainingOptimizer(entry.spec as OptimizerSpec);
      expectTrajectory(steps(optimizer, variables, 1, reference.steps), entry.trajectory, 2e-6);
      optimizer.dispose();
      tf.dispose(Object.values(variables));
    },
  );

  it.each(reference.cases.map((entry) => [entry.name, entry] as const))(
    '%s restored from its saved state mid-run continues exactly',
    async (_, entry) => {
      if (backend === 'wasm') await selectBackend({ preference: 'wasm', threads: 1, log: () => {} });
      else await tf.setBackend('cpu');
      const uninterrupted = freshVariables();
      const first = createTrainingOptimizer(entry.spec as OptimizerSpec).optimizer;
      const expected = steps(first, uninterrupted, 1, reference.steps);
      const interrupted = freshVariables();
      const before = createTrainingOptimizer(entry.spec as OptimizerSpec).optimizer;
      steps(before, interrupted, 1, 2);
      const saved = await before.getWeights();
      // state is per variable: b's slots have b's shape, a step count of its own (1 update of 2 steps)
      const names = saved.map((weight) => weight.name.replace(interrupted.a.name, 'a').replace(interrupted.b.name, 'b'));
      expect(names).toContain('b/step');
      expect(saved[names.indexOf('a/step')]?.tensor.dataSync()[0]).toBe(2);
      expect(saved[names.indexOf('b/step')]?.tensor.dataSync()[0]).toBe(1);
      for (const [index, weight] of saved.entries())
        if (!(names[index] as string).endsWith('/step'))
          expect(weight.tensor.shape).toEqual((names[index] as string).startsWith('a/') ? [5] : [2, 2]);
      const copies = saved.map((weight) => ({ name: weight.name, tensor: weight.tensor.clone() }));
      before.dispose();
      const after = createTrainingOptimizer(entry.spec as OptimizerSpec).optimizer;
      await after.setWeights(copies);
      const resumed = steps(after, interrupted, 3, reference.steps);
      expect(resumed).toEqual(expected.slice(2));
      tf.dispose([...Object.values(uninterrupted), ...Object.values(interrupted), ...copies.map((copy) => copy.tensor)]);
      first.dispose();
      after.dispose();
    },
  );
});

describe('VariableKeyedOptimizer errors', () => {
  it('rejects state that does not fit the variables', async () => {
    await tf.setBackend('cpu');
    const variable = tf.variable(tf.zeros([3]));
    const optimizer = new VariableKeyedOptimizer({ rule: 'adam', learningRate: 0.1 });
    await expect(
      optimizer.setWeights([
        { name: `${variable.name}/m`, tensor: tf.zeros([4]) },
        { name: `${variable.name}/v`, tensor: tf.zeros([3]) },
        { name: `${variable.name}/step`, tensor: tf.scalar(1, 'int32') },
      ]),
    ).rejects.toThrow(/slot .*\/m is \[4\] but the variable is \[3\]/);
    await expect(optimizer.setWeights([{ name: 'no-such-variable/step', tensor: tf.scalar(1, 'int32') }])).rejects.toThrow(
      /does not exist/,
    );
    expect(() => new VariableKeyedOptimizer({ rule: 'adam', learningRate: 0 })).toThrow(/learningRate must be positive/);
    variable.dispose();
  });
});
