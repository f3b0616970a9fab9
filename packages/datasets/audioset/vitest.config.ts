import { definePolytaskProject } from '../../../vitest.shared.ts';

export default definePolytaskProject('@polytask/dataset-audioset');
