import type { MiddlewareObj } from '@middy/core';

import { endPool } from '../db/pool';
import { releasePublisher } from '../kafka/producer';

/**
 * `sls invoke local` runs one invocation in a process that exits only when nothing holds its event loop, while
 * the container-wide pool and producer are kept open on purpose (Lambda freezes the container and reuses them).
 * So after a local invocation — `IS_LOCAL`, and not under serverless-offline, whose workers serve many — both are
 * closed. In Lambda and under `sls offline` this does nothing.
 */
export function releaseAfterLocalInvoke(
  env: NodeJS.ProcessEnv = process.env,
  /** What else the function keeps open across invocations (the health function's admin connection). */
  also: readonly (() => Promise<void>)[] = [],
): MiddlewareObj {
  const release = async (): Promise<void> => {
    if (env.IS_LOCAL !== 'true' || env.IS_OFFLINE === 'true') return;
    await Promise.all([endPool(), releasePublisher(), ...also.map((close) => close())]);
  };
  return { after: release, onError: release };
}
