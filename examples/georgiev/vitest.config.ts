import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/georgiev', { testTimeout: 120_000 });
