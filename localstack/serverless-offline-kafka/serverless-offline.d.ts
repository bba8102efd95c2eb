/** The part of serverless-offline's `./lambda` export (v14, untyped JavaScript) the plugin relies on. */
declare module 'serverless-offline/lambda' {
  export interface OfflineLambdaFunction {
    setEvent(event: unknown): void;
    /** Resolves with the handler's result; rejects with its error or serverless-offline's LambdaTimeoutError. */
    runHandler(): Promise<unknown>;
  }
  export default class Lambda {
    constructor(serverless: unknown, options: Record<string, unknown>);
    create(lambdas: { functionKey: string; functionDefinition: unknown }[]): void;
    /** An idle instance of the function from serverless-offline's pool, or a new one. */
    get(functionKey: string): OfflineLambdaFunction;
    cleanup(): Promise<void>;
  }
}
