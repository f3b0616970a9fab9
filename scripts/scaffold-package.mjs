#!/usr/bin/env node
/**
 * Writes the configuration files every workspace package shares (tsconfig.json,
 * tsconfig.build.json, tsup.config.ts, vitest.config.ts) into the package folder
 * given on the command line. Used by `new-dataset.mjs` and by maintainers adding a
 * package; existing files are left untouched.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes the shared config files into `packageDirectory` for the package `packageName`. */
export function scaffoldPackageConfig(packageDirectory, packageName) {
  const depth = path.relative(packageDirectory, process.cwd()).split(path.sep).length;
  const up = '../'.repeat(depth);
  const files = {
    'tsconfig.json': `${JSON.stringify({ extends: `${up}tsconfig.base.json`, include: ['src', '*.ts'] }, null, 2)}\n`,
    'tsconfig.build.json': `${JSON.stringify(
      {
        extends: './tsconfig.json',
        compilerOptions: { customConditions: [], noEmit: false, composite: false, allowImportingTsExtensions: false },
        include: ['src'],
        exclude: ['src/**/*.test.ts', 'src/**/__fixtures__'],
      },
      null,
      2,
    )}\n`,
    'tsup.config.ts': `import { definePackageBuild } from '${up}tsup.config.base.ts';\n\nexport default definePackageBuild();\n`,
    'vitest.config.ts': `import { definePolytaskProject } from '${up}vitest.shared.ts';\n\nexport default definePolytaskProject('${packageName}');\n`,
  };
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(packageDirectory, name);
    if (!existsSync(target)) writeFileSync(target, content);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [directory, name] = process.argv.slice(2);
  if (!directory || !name) {
    console.error('usage: node scripts/scaffold-package.mjs <package-directory> <package-name>');
    process.exit(1);
  }
  scaffoldPackageConfig(path.resolve(directory), name);
}
