import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, defineTask, MissingFileError, ShapeMismatchError } from '@polytask/core';
import { type DataReader, readDataset } from '@polytask/data-reading';
import { writeWavFile } from '@polytask/data-reading/testing';
import { createDefaultExtractionRegistry, extractionSpecHash } from '@polytask/extraction';
import { setBackend, tensor, zeros } from '@tensorflow/tfjs-core';
import { layers, sequential } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddingExtractionMethod } from './embedding-extraction-method';
import { fileSystemModelHandler } from './file-system-model-handler';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-embeddings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await setBackend('cpu');
});

/** A small VGGish-shaped layers model ([96, 64, 1] → 8), saved to `folder/model.json`. */
async function saveVggishLikeModel(folder: string, seed: number): Promise<string> {
  const model = sequential({
    layers: [
      layers.averagePooling2d({ inputShape: [96, 64, 1], poolSize: [8, 8] }),
      layers.flatten(),
      layers.dense({ units: 8, kernelInitializer: 'glorotUniform', biasInitializer: 'zeros', activation: 'tanh' }),
    ],
  });
  const [kernel] = model.getWeights();
  const values = Float32Array.from({ length: kernel?.size ?? 0 }, (_, index) => Math.sin(index * 0.37 + seed));
  model.layers[2]?.setWeights([tensor(values, kernel?.shape), zeros([8])]);
  const modelPath = path.join(folder, 'model.json');
  await model.save(fileSystemModelHandler(modelPath));
  return modelPath;
}

/** Two and a half seconds of two tones and a little deterministic noise at 16 kHz. */
function testSignal(seconds = 2.5): Float32Array {
  return Float32Array.from(
    { length: Math.round(seconds * 16000) },
    (_, sample) =>
      0.4 * Math.sin((2 * Math.PI * 440 * sample) / 16000) +
      0.2 * Math.sin((2 * Math.PI * 1800 * sample) / 16000) +
      0.01 * Math.sin(sample * 12.9898),
  );
}

describe('createEmbeddingExtractionMethod with a layers model and VGGish framing', () => {
  it('returns one embedding per 0.96 s example, deterministically, through a registry', async () => {
    const modelPath = await saveVggishLikeModel(path.join(root, 'vggish'), 1);
    const method = await createEmbeddingExtractionMethod({ modelPath, format: 'layers', framing: 'vggish' });
    const registry = createDefaultExtractionRegistry();
    registry.register(method);
    const spec = registry.parseSpec({ name: 'embedding', sampleRate: 16000 });
    expect(spec.params.modelPath).toBe(modelPath);
    expect(spec.params.modelHash).toMatch(/^[0-9a-f]{16}$/);
    // a resolved spec parses again to itself; asking the method for another model is an error
    expect(registry.parseSpec(spec)).toEqual(spec);
    expect(() => registry.parseSpec({ name: 'embedding', sampleRate: 16000, params: { modelPath: '/elsewhere/model.json' } })).toThrow(
      /params\.modelPath: this method is bound to modelPath/,
    );
    const audio = { sampleRate: 16000, channels: [testSignal()] };
    const first = await registry.extract(spec, audio);
    // 2.5 s: 248 frames of 10 ms, so 2 whole examples of 96 frames
    expect(first.shape).toEqual([2, 8]);
    expect(first.data.every(Number.isFinite)).toBe(true);
    const second = await registry.extract(spec, audio);
    expect(Array.from(second.data)).toEqual(Array.from(first.data));
    // resampled input gives the same number of examples
    const at8k = await registry.extract(spec, { sampleRate: 8000, channels: [testSignal().filter((_, index) => index % 2 === 0)] });
    expect(at8k.shape).toEqual([2, 8]);
  });

  it('changes the cache key when the weights change, not when the same model is loaded again', async () => {
    const folder = path.join(root, 'changing');
    const hashOf = async () => {
      const registry = createDefaultExtractionRegistry();
      registry.register(
        await createEmbeddingExtractionMethod({ modelPath: path.join(folder, 'model.json'), format: 'layers', framing: 'vggish' }),
      );
      return extractionSpecHash(registry.parseSpec({ name: 'embedding', sampleRate: 16000 }));
    };
    await saveVggishLikeModel(folder, 1);
    const before = await hashOf();
    expect(await hashOf()).toBe(before);
    await saveVggishLikeModel(folder, 2);
    expect(await hashOf()).not.toBe(before);
  });

  it('refuses a spec at another sample rate, and audio shorter than one example', async () => {
    const modelPath = await saveVggishLikeModel(path.join(root, 'rate'), 1);
    const registry = createDefaultExtractionRegistry();
    registry.register(await createEmbeddingExtractionMethod({ name: 'vggish-like', modelPath, format: 'layers', framing: 'vggish' }));
    expect(() => registry.parseSpec({ name: 'vggish-like', sampleRate: 22050 })).toThrow(ConfigError);
    expect(() => registry.parseSpec({ name: 'vggish-like', sampleRate: 22050 })).toThrow(/expects 16000 Hz/);
    const spec = registry.parseSpec({ name: 'vggish-like', sampleRate: 16000 });
    await expect(registry.extract(spec, { sampleRate: 16000, channels: [testSignal(0.5)] })).rejects.toThrow(/too short|shorter/);
  });
});

describe('createEmbeddingExtractionMethod errors', () => {
  it('names a missing model.json or weight file', async () => {
    const missing = path.join(root, 'nowhere', 'model.json');
    await expect(createEmbeddingExtractionMethod({ modelPath: missing, format: 'layers', framing: 'vggish' })).rejects.toSatisfy(
      (error) => MissingFileError.isInstance(error) && error.path === missing,
    );
    const modelPath = await saveVggishLikeModel(path.join(root, 'no-weights'), 1);
    const weights = path.join(root, 'no-weights', 'weights.bin');
    unlinkSync(weights);
    await expect(createEmbeddingExtractionMethod({ modelPath, format: 'layers', framing: 'vggish' })).rejects.toSatisfy(
      (error) => MissingFileError.isInstance(error) && error.path === weights && /weightsManifest/.test(error.message),
    );
  });

  it('refuses a model whose input does not fit the framing', async () => {
    const modelPath = await saveVggishLikeModel(path.join(root, 'mismatch'), 1);
    await expect(createEmbeddingExtractionMethod({ modelPath, format: 'layers', framing: 'yamnet' })).rejects.toSatisfy(
      (error) => ShapeMismatchError.isInstance(error) && /takes input \[batch, 96, 64, 1\].*\[15600\]/.test(error.message),
    );
  });
});

describe('createEmbeddingExtractionMethod with YAMNet framing and a graph model', () => {
  it('runs a waveform layers model on 0.975 s patches every 0.48 s', async () => {
    const model = sequential({ layers: [layers.dense({ inputShape: [15600], units: 4, kernelInitializer: 'ones', useBias: false })] });
    const modelPath = path.join(root, 'yamnet', 'model.json');
    await model.save(fileSystemModelHandler(modelPath));
    const method = await createEmbeddingExtractionMethod({ modelPath, format: 'layers', framing: 'yamnet' });
    const signal = testSignal(2);
    const embeddings = method.extract(signal, {
      sampleRate: 16000,
      parameters: method.resolveParameters?.({} as never, { sampleRate: 16000 }) as never,
    });
    // 32000 samples: patches at 0, 7680, 15360 (3 whole patches of 15600)
    expect(embeddings.shape).toEqual([3, 4]);
    const sum = signal.subarray(7680, 7680 + 15600).reduce((total, value) => total + value, 0);
    expect(embeddings.data[4]).toBeCloseTo(sum, 2);
  });

  it('loads a graph model (a GraphDef written as JSON by the test) through loadGraphModel', async () => {
    const folder = path.join(root, 'graph');
    const modelPath = path.join(folder, 'model.json');
    const kernel = Float32Array.from({ length: 16 * 3 }, (_, index) => (index % 3 === 0 ? 1 : index % 3 === 1 ? -1 : 0.5));
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'weights.bin'), new Uint8Array(kernel.buffer));
    const dim = (sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
    writeFileSync(
      modelPath,
      JSON.stringify({
        format: 'graph-model',
        generatedBy: 'polytask test',
        convertedBy: null,
        modelTopology: {
          node: [
            { name: 'waveform', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dim([-1, 16]) } } },
            {
              name: 'kernel',
              op: 'Const',
              attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim([16, 3]) } } },
            },
            {
              name: 'embedding',
              op: 'MatMul',
              input: ['waveform', 'kernel'],
              attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } },
            },
          ],
          versions: { producer: 1 },
        },
        weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'kernel', shape: [16, 3], dtype: 'float32' }] }],
      }),
    );
    const method = await createEmbeddingExtractionMethod({
      modelPath,
      format: 'graph',
      framing: { frameSeconds: 0.001, hopSeconds: 0.0005, input: 'waveform' },
    });
    const registry = createDefaultExtractionRegistry();
    registry.register(method);
    const signal = Float32Array.from({ length: 40 }, (_, index) => index / 40);
    const embeddings = await registry.extract(registry.parseSpec({ name: 'embedding', sampleRate: 16000 }), {
      sampleRate: 16000,
      channels: [signal],
    });
    // 40 samples, patches of 16 every 8: 4 patches; outputs are sum, -sum, sum / 2
    expect(embeddings.shape).toEqual([4, 3]);
    const sum = signal.subarray(8, 24).reduce((total, value) => total + value, 0);
    expect(Array.from(embeddings.data.subarray(3, 6)).map((value) => Number(value.toFixed(4)))).toEqual(
      [sum, -sum, sum / 2].map((value) => Number(value.toFixed(4))),
    );
  });
});

describe('createEmbeddingExtractionMethod through readDataset', () => {
  it('caches embeddings like any feature, and extracts again when the model changes', async () => {
    const folder = path.join(root, 'read-dataset');
    const corpus = path.join(folder, 'corpus');
    mkdirSync(corpus, { recursive: true });
    const items = [0, 1, 2].map((index) => {
      const file = path.join(corpus, `clip-${index}.wav`);
      writeWavFile({ file, sampleRate: 16000, channels: [testSignal(1 + index * 0.5)] });
      return { id: `clip-${index}`, path: file, labels: { tone: index === 1 ? 'high' : 'low' } };
    });
    const reader: DataReader = {
      specificationVersion: 'v1',
      name: 'tones',
      tasks: [defineTask({ name: 'tone', kind: 'multi-class', labels: ['low', 'high'] })],
      listItems: async () => items,
    };
    const modelPath = await saveVggishLikeModel(path.join(folder, 'model'), 1);
    const read = async () => {
      const registry = createDefaultExtractionRegistry();
      registry.register(await createEmbeddingExtractionMethod({ modelPath, format: 'layers', framing: 'vggish' }));
      return readDataset(reader, {
        extraction: { name: 'embedding', sampleRate: 16000 },
        registry,
        cacheDirectory: path.join(folder, 'cache'),
        progress: 'none',
      });
    };
    const first = await read();
    expect(first.fromCache).toBe(false);
    // 1 s, 1.5 s and 2 s clips: 1, 1 and 2 examples of 0.96 s
    expect([0, 1, 2].map((index) => first.dataset.shapeOf(index))).toEqual([
      [1, 8],
      [1, 8],
      [2, 8],
    ]);
    const again = await read();
    expect(again.fromCache).toBe(true);
    expect(Array.from(again.dataset.featuresOf(2).data)).toEqual(Array.from(first.dataset.featuresOf(2).data));
    await saveVggishLikeModel(path.join(folder, 'model'), 3);
    const changed = await read();
    expect(changed.fromCache).toBe(false);
    expect(changed.cacheKey).not.toBe(first.cacheKey);
  });
});
