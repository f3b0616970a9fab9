/**
 * Loading and saving tfjs models on disk without tfjs-node (which alone registers `file://`): a
 * tfjs IOHandler over `model.json` and the weight files its manifest names, plus a content hash of
 * those files, so a changed model changes the feature cache key.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataFormatError, MissingFileError } from '@polytask/core';
import { io } from '@tensorflow/tfjs-core';

function readModelJson(modelPath: string): io.ModelJSON {
  if (!existsSync(modelPath))
    throw new MissingFileError({
      path: modelPath,
      message: `${modelPath} is missing; give modelPath as the model.json of a tfjs layers or graph model.`,
    });
  try {
    return JSON.parse(readFileSync(modelPath, 'utf8')) as io.ModelJSON;
  } catch (cause) {
    throw new DataFormatError({ path: modelPath, message: `${modelPath} is not JSON: ${(cause as Error).message}`, cause });
  }
}

/** The weight files `model.json` names, resolved beside it, in manifest order. */
function weightFiles(modelPath: string, modelJson: io.ModelJSON): string[] {
  const directory = path.dirname(modelPath);
  return (modelJson.weightsManifest ?? []).flatMap((group) => group.paths.map((file) => path.join(directory, file)));
}

function readWeightFile(file: string, modelPath: string): Uint8Array {
  if (!existsSync(file))
    throw new MissingFileError({
      path: file,
      message: `${file} is missing: ${modelPath} lists it in its weightsManifest; copy it beside model.json.`,
    });
  return readFileSync(file);
}

/**
 * A tfjs IOHandler for a model on disk: `load` reads `model.json` and its weight files, `save`
 * writes `model.json` and one `weights.bin` beside it.
 * @example const model = await tf.loadLayersModel(fileSystemModelHandler('/models/vggish/model.json'))
 */
export function fileSystemModelHandler(modelPath: string): io.IOHandler {
  return {
    async load() {
      const modelJson = readModelJson(modelPath);
      return io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const weightSpecs = manifest.flatMap((group) => group.weights);
        const buffers = weightFiles(modelPath, { ...modelJson, weightsManifest: manifest }).map((file) => {
          const bytes = readWeightFile(file, modelPath);
          return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        });
        return [weightSpecs, io.CompositeArrayBuffer.join(buffers)];
      });
    },
    async save(artifacts) {
      mkdirSync(path.dirname(modelPath), { recursive: true });
      const weightsName = 'weights.bin';
      const weightData = artifacts.weightData ? new Uint8Array(io.CompositeArrayBuffer.join(artifacts.weightData)) : new Uint8Array();
      const modelJson: io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        ...(artifacts.format === undefined ? {} : { format: artifacts.format }),
        ...(artifacts.generatedBy === undefined ? {} : { generatedBy: artifacts.generatedBy }),
        ...(artifacts.convertedBy === undefined ? {} : { convertedBy: artifacts.convertedBy }),
        weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.signature ? { signature: artifacts.signature } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      writeFileSync(path.join(path.dirname(modelPath), weightsName), weightData);
      writeFileSync(modelPath, JSON.stringify(modelJson));
      return { modelArtifactsInfo: io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/**
 * 16-hex-digit SHA-256 of `model.json` and every weight file it lists (names and bytes): equal
 * models hash equally, any change to topology or weights changes the hash.
 * @throws MissingFileError naming `model.json` or a weight file that is absent.
 */
export function hashModelFiles(modelPath: string): string {
  const modelJson = readModelJson(modelPath);
  const hash = createHash('sha256').update(readFileSync(modelPath));
  for (const file of weightFiles(modelPath, modelJson)) hash.update(path.basename(file)).update(readWeightFile(file, modelPath));
  return hash.digest('hex').slice(0, 16);
}
