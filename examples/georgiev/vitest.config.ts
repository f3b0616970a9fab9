import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/georgiev', { testTimeout: 600_000 });
