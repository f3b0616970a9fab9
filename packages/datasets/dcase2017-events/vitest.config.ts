import { definePolytaskProject } from '../../../vitest.shared.ts';

export default definePolytaskProject('@polytask/dataset-dcase2017-events');
