'use strict';
/* global __filename */
/**
 * The entry osls loads for `plugins: - ./localstack/serverless-offline-kafka`. osls requires plugins as CommonJS;
 * the plugin itself is TypeScript (it shares the event-source-mapping engine with the in-process runner), so it is
 * compiled on load by tsx in a namespace of its own: the hook does not leak into osls or the other plugins.
 */
const { register } = require('tsx/cjs/api');

const tsx = register({ namespace: 'serverless-offline-kafka' });

module.exports = tsx.require('./plugin.ts', __filename).ServerlessOfflineKafka;
