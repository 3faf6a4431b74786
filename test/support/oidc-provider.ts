/**
 * A real OpenID Connect provider (oidc-provider, a certified OP) on 127.0.0.1 for tests: confidential
 * clients, accounts whose claims (email, email_verified, name, groups) a test can change between
 * sign-ins, a minimal sign-in and consent page, and a way to tamper with the ID tokens its token
 * endpoint returns (another signing key, another nonce or issuer) to prove the relying party refuses them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT,
} from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/** A person who can sign in at the provider. */
export interface OidcTestAccount {
  /** The subject, and what is typed as the username. */
  sub: string;
  password: string;
  email?: string;
  /** Sent as `email_verified` when set. */
  emailVerified?: boolean;
  name?: string;
  /** Sent as the `groups` claim when set. */
  groups?: string[];
}

/** A client registered at the provider (client_secret_basic, authorization code). */
export interface OidcTestClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

/**
 * Changes the ID token of the next token responses: `claims` rewrites its claims, and it is signed
 * again with the provider's own key, or with `other`, a key the provider never published (under
 * the same `kid`).
 */
export interface IdTokenTamper {
  claims?: (claims: Record<string, unknown>) => Record<string, unknown>;
  key?: 'provider' | 'other';
}

/** Options of {@link startOidcProvider}. */
export interface OidcProviderOptions {
  clients: OidcTestClient[];
  accounts?: OidcTestAccount[];
  /** The issuer's host name (default 127.0.0.1; `localhost` makes it another site than 127.0.0.1 for a browser). */
  host?: string;
  /** Seconds an authorization code lives (default 60; changeable later through `settings`). */
  codeTtlSeconds?: number;
  /** Whether scope claims go into the ID token (default true), or only to userinfo (the spec's default). */
  claimsInIdToken?: boolean;
}

/** A running provider. */
export interface TestOidcProvider {
  /** `http://<host>:<port>`, without a trailing slash. */
  issuer: string;
  /** The accounts by subject: change one's groups between sign-ins. */
  accounts: Map<string, OidcTestAccount>;
  /** Live settings: the code lifetime, and tampering with issued ID tokens. */
  settings: { codeTtlSeconds: number; tamper: IdTokenTamper | undefined };
  /**
   * Goes through the provider's pages with fetch as a browser would, from the authorization URL (the
   * `Location` Ringflag answered) to the callback URL the provider redirects to (not followed).
   */
  signIn(authorizationUrl: string, login: string, password: string): Promise<URL>;
  /** Whether an authorization code has expired at the provider. */
  codeExpired(code: string): Promise<boolean>;
  close(): Promise<void>;
}

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Starts the provider on 127.0.0.1 (a free port). Its pages: `/interaction/:uid` shows a sign-in form
 * (username = the account's `sub`, and its password) or a consent form ("Allow").
 *
 * @example
 * const op = await startOidcProvider({ clients: [{ clientId, clientSecret, redirectUris }], accounts });
 * // RINGFLAG_OIDC_ISSUER = op.issuer
 */
export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const accounts = new Map((options.accounts ?? []).map((account) => [account.sub, account]));
  const settings = {
    codeTtlSeconds: options.codeTtlSeconds ?? 60,
    tamper: undefined as IdTokenTamper | undefined,
  };

  const kid = 'test-signing-key';
  const own = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256', { extractable: true });
  const privateJwk: JWK = { ...(await exportJWK(own.privateKey)), kid, alg: 'RS256', use: 'sig' };

  const configuration: Configuration = {
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [privateJwk] },
    cookies: { keys: ['a test cookie key that is long enough'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: options.claimsInIdToken === false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: () => {
          // Read at issue time: a test that changes the account changes the next token.
          const now = accounts.get(sub) ?? account;
          return {
            sub,
            ...(now.email === undefined ? {} : { email: now.email }),
            ...(now.emailVerified === undefined ? {} : { email_verified: now.emailVerified }),
            ...(now.name === undefined ? {} : { name: now.name }),
            ...(now.groups === undefined ? {} : { groups: now.groups }),
          };
        },
      };
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: () => settings.codeTtlSeconds,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
      IdToken: 600,
      Interaction: 600,
      RefreshToken: 600,
      Session: 3600,
      Grant: 3600,
    },
  };
  const provider = new Provider(issuer, configuration);

  // The token endpoint's answer, changed on request: the stand-in for a provider that signs badly.
  provider.use(async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next();
    const tamper = settings.tamper;
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (!tamper || ctx.path !== '/token' || ctx.status !== 200 || typeof body?.id_token !== 'string') return;
    const claims = decodeJwt(body.id_token) as Record<string, unknown>;
    const header = decodeProtectedHeader(body.id_token);
    const key = tamper.key === 'other' ? other.privateKey : await importJWK(privateJwk, 'RS256');
    body.id_token = await new SignJWT(tamper.claims ? tamper.claims({ ...claims }) : claims)
      .setProtectedHeader({ alg: 'RS256', kid: header.kid ?? kid, typ: header.typ })
      .sign(key);
  });

  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/interaction\/([\w-]+)(\/login|\/confirm)?$/.exec(
      new URL(req.url ?? '/', issuer).pathname,
    );
    if (!match) {
      callback(req, res);
      return;
    }
    interaction(req, res, match[1]!, match[2]).catch((error: unknown) => {
      res.statusCode = 400;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(page('Error', `<p>${escapeHtml(String(error))}</p>`));
    });
  });

  /** The provider's own pages: sign in, then consent. */
  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action?: string) {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('this sign-in has ended');
    const html = (status: number, title: string, body: string) => {
      res.statusCode = status;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.setHeader('cache-control', 'no-store');
      res.end(page(title, body));
    };
    if (req.method === 'GET' && action === undefined) {
      if (details.prompt.name === 'login') {
        html(200, 'Sign in to the test provider', loginForm(uid));
        return;
      }
      html(
        200,
        'Allow access',
        `<p>Ringflag asks for: ${escapeHtml(String(details.params.scope ?? ''))}</p><form method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>`,
      );
      return;
    }
    if (req.method === 'POST' && action === '/login') {
      const form = await readForm(req);
      const account = accounts.get(form.get('login') ?? '');
      if (!account || account.password !== form.get('password')) {
        html(
          401,
          'Sign in to the test provider',
          `<p role="alert">Wrong username or password.</p>${loginForm(uid)}`,
        );
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: account.sub } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (req.method === 'POST' && action === '/confirm') {
      const { prompt, params, session, grantId } = details;
      const grant = grantId
        ? await provider.Grant.find(grantId)
        : new provider.Grant({ accountId: session?.accountId, clientId: String(params.client_id) });
      if (!grant) throw new Error('the grant has ended');
      const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        { mergeWithLastSubmission: true },
      );
      return;
    }
    html(405, 'Not allowed', '<p>Not here.</p>');
  }

  const loginForm = (uid: string) =>
    `<form method="post" action="/interaction/${uid}/login">` +
    '<label>Username <input name="login" autocomplete="username" autofocus></label>' +
    '<label>Password <input name="password" type="password" autocomplete="current-password"></label>' +
    '<button type="submit">Sign in</button></form>';

  async function signIn(authorizationUrl: string, login: string, password: string): Promise<URL> {
    const jar = new Map<string, string>();
    const send = async (url: URL, init: RequestInit = {}) => {
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      const response = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const at = pair.indexOf('=');
        const name = pair.slice(0, at).trim();
        const value = pair.slice(at + 1).trim();
        if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') jar.delete(name);
        else jar.set(name, value);
      }
      return { response, text: await response.text() };
    };
    const form = (fields: Record<string, string>): RequestInit => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    let url = new URL(authorizationUrl);
    for (let step = 0; step < 10; step++) {
      if (url.origin !== new URL(issuer).origin) return url;
      const interactionMatch = /^\/interaction\/([\w-]+)$/.exec(url.pathname);
      let response: Response;
      if (interactionMatch) {
        const uid = interactionMatch[1]!;
        const shown = await send(url);
        if (shown.response.status !== 200) {
          throw new Error(`the provider's page answered ${shown.response.status}: ${shown.text}`);
        }
        const submitted = shown.text.includes('name="password"')
          ? await send(new URL(`/interaction/${uid}/login`, issuer), form({ login, password }))
          : await send(new URL(`/interaction/${uid}/confirm`, issuer), form({}));
        if (submitted.response.status === 401) throw new Error(`the provider refused ${login}'s password`);
        response = submitted.response;
      } else {
        response = (await send(url)).response;
      }
      const location = response.headers.get('location');
      if (!location)
        throw new Error(`the provider answered ${response.status} without a redirect at ${url.pathname}`);
      url = new URL(location, url);
    }
    throw new Error('the provider kept redirecting');
  }

  return {
    issuer,
    accounts,
    settings,
    signIn,
    async codeExpired(code) {
      // As the token endpoint sees it: past its expiry, with no clock tolerance.
      const found = await provider.AuthorizationCode.find(code, { ignoreExpiration: true });
      return found === undefined || found.isExpired;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The Ringflag admin UI's registration at a provider from {@link startProviderFor}. */
export interface RingflagUiClient {
  clientId: string;
  clientSecret: string;
  /** Ringflag's OIDC callback on 127.0.0.1 at the port the Ringflag server will listen on. */
  redirectUrl: string;
}

/**
 * Starts a provider on `localhost` (another site than 127.0.0.1 for a browser) with the Ringflag admin
 * UI registered as its one client, for a Ringflag server about to listen on 127.0.0.1:`port`.
 */
export async function startProviderFor(
  port: number,
  accounts: OidcTestAccount[],
): Promise<{ op: TestOidcProvider; client: RingflagUiClient }> {
  const client: RingflagUiClient = {
    clientId: 'ringflag-ui',
    clientSecret: 'ui-client-secret-1',
    redirectUrl: `http://127.0.0.1:${port}/api/v1/auth/oidc/callback`,
  };
  const op = await startOidcProvider({
    host: 'localhost',
    clients: [
      { clientId: client.clientId, clientSecret: client.clientSecret, redirectUris: [client.redirectUrl] },
    ],
    accounts,
  });
  return { op, client };
}
