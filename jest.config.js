/** @type {import('jest').Config} */
const shared = {
  transform: { '^.+\\.[tj]s$': '<rootDir>/test/esbuild-transform.js' },
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // @middy/core ships ES modules only; esbuild turns them into CommonJS like the project's own files.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/integration/setup.ts'],
      // One embedded PostgreSQL server for the whole run; each test file gets its own database from a template.
      globalSetup: '<rootDir>/test/integration/globalSetup.ts',
      globalTeardown: '<rootDir>/test/integration/globalTeardown.ts',
    },
  ],
};
