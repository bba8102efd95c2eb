/**
 * The platform's one logger: Powertools' JSON logger (the same shape from every stage), its level from LOG_LEVEL and
 * its service `posttrade-<STAGE>` (lib/config). Functions add `injectLambdaContext` to their middy chain; a line
 * about a trade carries its `correlation_id` (`logger.setCorrelationId`, or `correlationId` among the attributes of
 * the line for a batch of many trades).
 */
import { Logger } from '@aws-lambda-powertools/logger';

import { config } from '../config';

let containerLogger: Logger | undefined;

/** This container's logger, created on first use from the configuration. */
export function getLogger(): Logger {
  containerLogger ??= (() => {
    const settings = config();
    return new Logger({ serviceName: `posttrade-${settings.stage}`, logLevel: settings.logLevel });
  })();
  return containerLogger;
}
