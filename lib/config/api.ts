/** The APIs' settings: the bearer tokens of the local authorizer, the JWT claim, where large responses go. */
import { DEV_TOKEN, parseApiTokens, type TokenTable } from '../api/auth';

import type { Vars } from './environment';
import type { ConfigProblem } from './errors';

export type LargeResponseSettings = {
  readonly inlineMaxBytes: number;
  readonly urlTtlSeconds: number;
} & (
  | { readonly store: 'inline' }
  | { readonly store: 's3'; readonly bucket: string }
  | { readonly store: 'directory'; readonly directory: string }
);

export interface ApiSettings {
  readonly largeResponses: LargeResponseSettings;
  readonly jwtAccountsClaim: string;
  /**
   * The bearer tokens API_TOKENS lists; unset, the development token alone on the `local` stage, and undefined
   * on any other (the authorizer then refuses to start: requiredTokenTable).
   */
  readonly tokens: TokenTable | undefined;
}

/** The API_* and REPORT* settings; what is wrong goes to `problems`. */
export function apiSettings(vars: Vars, problems: ConfigProblem[]): ApiSettings {
  return {
    largeResponses: {
      inlineMaxBytes: vars.API_INLINE_RESPONSE_MAX_BYTES,
      urlTtlSeconds: vars.REPORT_URL_TTL_SECONDS,
      ...(vars.REPORTS_BUCKET !== undefined
        ? { store: 's3' as const, bucket: vars.REPORTS_BUCKET }
        : vars.REPORTS_DIR !== undefined
          ? { store: 'directory' as const, directory: vars.REPORTS_DIR }
          : { store: 'inline' as const }),
    },
    jwtAccountsClaim: vars.API_JWT_ACCOUNTS_CLAIM,
    tokens: apiTokens(vars, problems),
  };
}

/** API_TOKENS parsed, or the development token when it is unset on the local stage (never on another). */
function apiTokens(vars: Vars, problems: ConfigProblem[]): TokenTable | undefined {
  if (vars.API_TOKENS === undefined || vars.API_TOKENS.trim() === '') {
    return vars.STAGE === 'local' ? new Map([[DEV_TOKEN, { all: true }]]) : undefined;
  }
  const parsed = parseApiTokens(vars.API_TOKENS);
  if (parsed.ok) return parsed.value;
  // parseApiTokens names the variable in each message already.
  for (const error of parsed.errors)
    problems.push({ variable: 'API_TOKENS', message: error.replace(/^API_TOKENS: /, '') });
  return undefined;
}
