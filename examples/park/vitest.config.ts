import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/park', { testTimeout: 120_000 });
