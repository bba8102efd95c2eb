/**
 * Bearer tokens for the capture API. `API_TOKENS` (read by lib/config) is a comma list of `token=scope`, scope `*` (every account) or
 * accounts separated by `|` or spaces (`ops-token=*,desk7=ACC-001|ACC-002`). When it is unset on the `local` stage,
 * the development token `dev-token` with scope `*` is the only one — never in any other stage.
 */
import { timingSafeEqual } from 'node:crypto';

export const DEV_TOKEN = 'dev-token';

export type TokenScope = { readonly all: true } | { readonly all: false; readonly accounts: ReadonlySet<string> };

export type TokenTable = ReadonlyMap<string, TokenScope>;

export function parseApiTokens(list: string): { ok: true; value: TokenTable } | { ok: false; errors: string[] } {
  const table = new Map<string, TokenScope>();
  const errors: string[] = [];
  for (const entry of list
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')) {
    const at = entry.indexOf('=');
    const token = at < 0 ? '' : entry.slice(0, at).trim();
    const scope = at < 0 ? '' : entry.slice(at + 1).trim();
    if (token === '' || scope === '') {
      errors.push(`API_TOKENS: entry "${entry.slice(0, 4)}…" is not token=scope`);
      continue;
    }
    table.set(
      token,
      scope === '*' ? { all: true } : { all: false, accounts: new Set(scope.split(/[|\s]+/).filter((a) => a !== '')) },
    );
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: table };
}

/**
 * The token table the authorizer serves (lib/config reads API_TOKENS and STAGE into `api.tokens`); throws when
 * none is configured, so that the authorizer fails its cold start rather than refuse every request.
 */
export function requiredTokenTable(settings: {
  readonly api: { readonly tokens: TokenTable | undefined };
}): TokenTable {
  const tokens = settings.api.tokens;
  if (tokens === undefined) throw new Error('Invalid configuration: API_TOKENS: required outside the local stage');
  return tokens;
}

/** The scope of the bearer token in an `Authorization` header, or undefined when it is missing or unknown. */
export function authorize(header: string | undefined, tokens: TokenTable): TokenScope | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const presented = match?.[1];
  if (presented === undefined) return undefined;
  // Constant-time comparison, so that response timing does not reveal how much of a token matched.
  for (const [token, scope] of tokens) {
    const a = Buffer.from(token);
    const b = Buffer.from(presented);
    if (a.length === b.length && timingSafeEqual(a, b)) return scope;
  }
  return undefined;
}

/** How a scope travels in the authorizer's context (strings only): `*` or `|`-joined accounts. */
export function scopeToContext(scope: TokenScope): string {
  return scope.all ? '*' : [...scope.accounts].join('|');
}

export function scopeFromContext(text: string | undefined): TokenScope {
  if (text === undefined || text === '*') return text === '*' ? { all: true } : { all: false, accounts: new Set() };
  return { all: false, accounts: new Set(text.split('|').filter((a) => a !== '')) };
}

/**
 * What API Gateway's HTTP API puts in `requestContext.authorizer`: the Lambda authorizer's context (local stage,
 * bearer tokens) or, behind a JWT authorizer (the cloud: Cognito or any OIDC issuer), the token's claims.
 */
export interface RequestAuthorizer {
  readonly lambda?: { readonly scope?: string } | null;
  readonly jwt?: { readonly claims?: Readonly<Record<string, unknown>> | null } | null;
}

/**
 * The scope of a request's caller, or undefined when no authorizer vouched for one. A JWT names the accounts in the
 * `accountsClaim` claim: `*`, or accounts separated by `|`, `,` or spaces; API Gateway renders a list-valued claim as
 * `[a b]`, which reads the same. A token without the claim may read nothing.
 */
export function scopeOfRequest(
  authorizer: RequestAuthorizer | null | undefined,
  accountsClaim: string,
): TokenScope | undefined {
  const lambdaScope = authorizer?.lambda?.scope;
  if (typeof lambdaScope === 'string' && lambdaScope !== '') return scopeFromContext(lambdaScope);
  const claims = authorizer?.jwt?.claims;
  if (claims === undefined || claims === null) return undefined;
  const claim = claims[accountsClaim];
  const text = Array.isArray(claim) ? claim.map(String).join(' ') : typeof claim === 'string' ? claim : '';
  const accounts = text
    .replace(/^\[(.*)\]$/, '$1')
    .split(/[|,\s]+/)
    .filter((account) => account !== '');
  if (accounts.length === 1 && accounts[0] === '*') return { all: true };
  return { all: false, accounts: new Set(accounts.filter((account) => account !== '*')) };
}
