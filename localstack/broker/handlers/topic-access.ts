import type { BrokerContext } from '../context';
import { topicNameProblem, type TopicInfo } from '../topics';

/** Looks a topic up, creating it with the default partition count when auto-creation is on and allowed. */
export function ensureTopic(ctx: BrokerContext, name: string, allowAutoCreate: boolean): TopicInfo | undefined {
  const existing = ctx.topics.get(name);
  if (existing) return existing;
  if (!allowAutoCreate || !ctx.config.autoCreateTopics || topicNameProblem(name)) return undefined;
  return ctx.topics.create(name, ctx.config.defaultPartitions);
}
