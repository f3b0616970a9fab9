/**
 * @polytask/extraction: audio decoding, resampling and librosa-exact features on plain
 * Float32Arrays. Filled in by the extraction issue; no tfjs here, ever.
 */
export {};
