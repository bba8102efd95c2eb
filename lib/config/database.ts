/** The database settings: a connection URL, or the cloud form (host, user, a secret's password or an IAM token). */
import { DbSslMode, type Vars } from './environment';
import type { ConfigProblem } from './errors';

export interface DatabaseSettings {
  /** Undefined locally (the embedded server fills in) and when `server` is set. */
  readonly url: string | undefined;
  /** The cloud form: a server reached with a secret's password or an IAM token, over TLS. */
  readonly server?: DatabaseServer;
  readonly poolMax: number;
  readonly statementTimeoutMs: number;
}

export interface DatabaseServer {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly credentials:
    { readonly kind: 'secret'; readonly secretArn: string } | { readonly kind: 'iam'; readonly region: string };
  readonly ssl: { readonly mode: DbSslMode; readonly caFile: string | undefined };
}

/** The DATABASE_URL or DB_* settings; what is wrong goes to `problems`. */
export function databaseSettings(vars: Vars, problems: ConfigProblem[]): DatabaseSettings {
  const server = databaseServer(vars, problems);
  return {
    url: vars.DATABASE_URL,
    ...(server === undefined ? {} : { server }),
    poolMax: vars.DB_POOL_MAX,
    statementTimeoutMs: vars.DB_STATEMENT_TIMEOUT_MS,
  };
}

/** The DB_* server form, checked as a whole: which variables go together and which exclude each other. */
function databaseServer(vars: Vars, problems: ConfigProblem[]): DatabaseServer | undefined {
  if (vars.DB_HOST === undefined) {
    for (const name of ['DB_NAME', 'DB_USER', 'DB_SECRET_ARN', 'DB_SSL_CA_FILE'] as const) {
      if (vars[name] !== undefined) problems.push({ variable: name, message: 'needs DB_HOST' });
    }
    if (vars.DB_IAM_AUTH) problems.push({ variable: 'DB_IAM_AUTH', message: 'needs DB_HOST' });
    return undefined;
  }
  if (vars.DATABASE_URL !== undefined) {
    problems.push({ variable: 'DATABASE_URL', message: 'set either DATABASE_URL or DB_HOST, not both' });
  }
  if (vars.DB_NAME === undefined) problems.push({ variable: 'DB_NAME', message: 'required with DB_HOST' });
  if (vars.DB_USER === undefined) problems.push({ variable: 'DB_USER', message: 'required with DB_HOST' });
  if (vars.DB_IAM_AUTH === (vars.DB_SECRET_ARN !== undefined)) {
    problems.push({
      variable: 'DB_SECRET_ARN',
      message: 'with DB_HOST, set exactly one of DB_SECRET_ARN (password from Secrets Manager) or DB_IAM_AUTH=true',
    });
  }
  const region = vars.AWS_REGION;
  if (vars.DB_IAM_AUTH && region === undefined) {
    problems.push({ variable: 'AWS_REGION', message: 'required to sign IAM database tokens' });
  }
  if (vars.DB_NAME === undefined || vars.DB_USER === undefined) return undefined;
  const credentials =
    vars.DB_SECRET_ARN !== undefined
      ? { kind: 'secret' as const, secretArn: vars.DB_SECRET_ARN }
      : { kind: 'iam' as const, region: region ?? '' };
  return {
    host: vars.DB_HOST,
    port: vars.DB_PORT,
    database: vars.DB_NAME,
    user: vars.DB_USER,
    credentials,
    // A cloud database is reached over TLS with its certificate checked unless someone says otherwise.
    ssl: { mode: vars.DB_SSL ?? DbSslMode.VERIFY_FULL, caFile: vars.DB_SSL_CA_FILE },
  };
}
