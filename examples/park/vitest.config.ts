import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/park', { testTimeout: 600_000 });
