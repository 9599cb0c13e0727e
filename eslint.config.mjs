// ESLint: typescript-eslint's recommended type-checked rules over every TypeScript file
// (tsconfig.json includes them all); the plain JS config files get the JS recommendations.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'var/', 'coverage/', '.cache/']),
  js.configs.recommended,
  {
    // .mocharc.cjs, read by mocha on Node.
    files: ['**/*.cjs'],
    languageOptions: { globals: { process: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Async without await by design (in-memory stores, stubs, restify handlers): throws must stay rejections.
      '@typescript-eslint/require-await': 'off',
      // Bot Framework types Activity.type as a plain string, to be compared with its ActivityTypes string enum.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },
);
