/**
 * @polytask/embeddings: embeddings as features. An extraction method that runs a user-supplied
 * tfjs model (layers or graph `model.json` on disk) over VGGish-, YAMNet- or custom-framed audio,
 * cached like any feature; and the file-system IOHandler it loads models with (Node has no
 * `file://` loader without tfjs-node).
 */
export {
  createEmbeddingExtractionMethod,
  type EmbeddingExtractionOptions,
  type EmbeddingParameters,
} from './embedding-extraction-method';
export {
  type CustomFraming,
  type EmbeddingFraming,
  frameSignal,
  type LogMelFrontEnd,
  minimumFramingSamples,
  type ResolvedFraming,
  resolveFraming,
} from './embedding-framing';
export { fileSystemModelHandler, hashModelFiles } from './file-system-model-handler';
