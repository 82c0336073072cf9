// A real OpenID Connect provider for the identity tests: npm oidc-provider (from .ci/clients) with the
// device flow on, a confidential client ("gateway") and a public one for the console's authorization-code
// flow with PKCE ("console", native: any loopback port of /console/callback), and accounts with email and
// groups claims. Login and consent
// are oidc-provider's own development pages (any password), which the tests drive over HTTP.
//
//   node oidc-provider.mjs <path to oidc-provider's package dir> <port, 0 for any>
// prints one line: {"issuer":"http://127.0.0.1:PORT"} once it listens.
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [, , modulePath, portArg] = process.argv;
const { default: Provider } = await import(pathToFileURL(path.join(modulePath, 'lib', 'index.js')).href);

// login -> claims. "nogroup" is in no group the gateway maps; any other login gets the "eng" group.
const accounts = {
  alice: { email: 'alice@example.com', groups: ['eng', 'everyone'] },
  bob: { email: 'bob@example.com', groups: ['eng'] },
  carol: { email: 'carol@example.com', groups: ['eng'] },
  dave: { email: 'dave@example.com', groups: ['eng'] },
  nogroup: { email: 'nogroup@example.com', groups: ['contractors'] },
  // The console's roles: an administrator and the leads of two teams (see ConsoleAuthFixture).
  ada: { email: 'ada@example.com', groups: ['eng', 'gateway-admins'] },
  lena: { email: 'lena@example.com', groups: ['eng', 'leads-alpha'] },
  leo: { email: 'leo@example.com', groups: ['eng', 'leads-beta'] },
};

const server = (await import('node:http')).createServer();
await new Promise((resolve) => server.listen(Number(portArg ?? 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'gateway',
    client_secret: 'gateway-test-secret',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
  }, {
    // Loopback redirect of a native client: oidc-provider ignores the port (RFC 8252), so the test front's
    // random port needs no registration.
    client_id: 'console',
    application_type: 'native',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/console/callback'],
    token_endpoint_auth_method: 'none',
  }],
  features: { deviceFlow: { enabled: true }, devInteractions: { enabled: true } },
  scopes: ['openid', 'offline_access', 'email', 'groups'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
  // Scope claims in the id_token itself (the gateway reads only the id_token).
  conformIdTokenClaims: false,
  issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  cookies: { keys: ['identity-test-cookie-key'] },
  ttl: { DeviceCode: 600, IdToken: 3600, AccessToken: 3600, RefreshToken: 86400 },
  async findAccount(ctx, id) {
    const account = accounts[id] ?? { email: `${id}@example.com`, groups: ['eng'] };
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: account.email, email_verified: true, groups: account.groups };
      },
    };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

server.on('request', provider.callback());
console.log(JSON.stringify({ issuer }));
