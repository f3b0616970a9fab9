import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/xu', { testTimeout: 600_000 });
