// A real OpenID Connect provider for the identity tests: npm oidc-provider (from .ci/clients) with the
// device flow on, one confidential client, and accounts with email and groups claims. Login and consent
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
