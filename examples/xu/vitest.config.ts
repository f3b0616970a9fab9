import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/xu', { testTimeout: 120_000 });
