import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@polytask/training', { testTimeout: 180_000 });
