// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.local/',
      '.scratch/',
      '.helpers/',
      '.build/',
      '.esbuild/',
      '.serverless/',
      'coverage/',
      'bench/results/',
      // Build output: bench:report's bundle.
      'dist/',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use an `as const` object.' }],
      'no-console': 'off',
    },
  },
  {
    // The domain is pure (README "Architecture"): no database, broker, cloud or handler code, nothing outside it.
    files: ['lib/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['pg', 'pg-*', 'kafkajs', '@aws-sdk/*', '@middy/*', 'aws-lambda', '@aws-lambda-powertools/*'],
              message: 'lib/domain is pure: I/O belongs to the stores and handlers that call it.',
            },
            { group: ['../../*', '!../../domain/*'], message: 'lib/domain imports only lib/domain.' },
            { regex: '^\\.\\./(?!domain/)[a-z-]+/', message: 'lib/domain imports only lib/domain.' },
          ],
        },
      ],
    },
  },
  {
    // The emulator depends on the product, never the reverse; handlers are product code.
    files: ['functions/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/localstack/**'], message: 'functions/ never imports localstack/.' }] },
      ],
    },
  },
  {
    // lib/config/index.ts is the one reader of the environment (README "Settings"); everything else is handed it.
    files: ['lib/**/*.ts', 'functions/**/*.ts'],
    ignores: [
      'lib/config/index.ts',
      // The process's entry point hands process.env to the command runner.
      'lib/cli/main.ts',
      // IS_LOCAL/IS_OFFLINE are the serverless tooling's markers of how this process runs, not settings.
      'lib/lambda/local-invoke.ts',
    ],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings through lib/config (its index.ts only).' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // @types/jest types every asymmetric matcher (`expect.objectContaining`, `stringMatching`, `any`, ...) as
      // `any`, so each expected object that uses one would be a finding; the other unsafe-any rules stay on.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only', message: 'No focused tests.' },
        { object: 'it', property: 'only', message: 'No focused tests.' },
        { object: 'test', property: 'only', message: 'No focused tests.' },
        { object: 'describe', property: 'skip', message: 'No skipped tests.' },
        { object: 'it', property: 'skip', message: 'No skipped tests.' },
        { object: 'test', property: 'skip', message: 'No skipped tests.' },
      ],
    },
  },
);
