import { definePolytaskProject } from '../../vitest.shared.ts';

export default definePolytaskProject('@example/extension-package', { testTimeout: 180_000 });
