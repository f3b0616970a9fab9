import { definePolytaskProject } from '../../../vitest.shared.ts';

export default definePolytaskProject('@polytask/dataset-asvspoof2015');
