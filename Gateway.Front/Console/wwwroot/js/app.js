// The console's router: one page per hash route (#/teams, #/keys, #/keys/{id}, #/spend, #/reports), the sign-in
// when nobody is signed in. A page is a function that renders into <main> and may return a stop function (the key
// usage page polls, and stops when the person leaves it).
import { loadAuth, role, scopedTeam, signedIn, signOut } from './auth.js';
import { whenUnauthorized } from './api.js';
import { alertError, clearAlert, clearStatus } from './dom.js';
import { signInPage } from './signin.js';
import { teamsPage } from './teams.js';
import { keysPage } from './keys.js';
import { keyPage } from './usage.js';
import { spendPage } from './spend.js';
import { reportsPage } from './reports.js';

let stopCurrent = null;

const routes = [
  [/^#\/teams$/, () => teamsPage()],
  [/^#\/keys$/, () => keysPage()],
  [/^#\/keys\/([A-Za-z0-9_-]{1,128})$/, (match) => keyPage(match[1])],
  [/^#\/spend$/, () => spendPage()],
  [/^#\/reports$/, () => reportsPage()],
];

async function render() {
  if (typeof stopCurrent === 'function') stopCurrent();
  stopCurrent = null;
  clearAlert();
  clearStatus();
  const nav = document.getElementById('nav');
  const signOutButton = document.getElementById('sign-out');
  if (!signedIn()) {
    nav.hidden = true;
    signOutButton.hidden = true;
    signInPage(() => {
      if (location.hash === '' || location.hash === '#/sign-in') location.hash = '#/keys';
      else render();
    });
    return;
  }
  nav.hidden = false;
  signOutButton.hidden = false;
  const who = document.getElementById('who');
  if (who) who.textContent = role() === 'lead' ? `Team lead (${scopedTeam()})` : 'Administrator';
  const hash = location.hash || '#/keys';
  for (const link of nav.querySelectorAll('a')) {
    const current = hash === link.getAttribute('href') || hash.startsWith(`${link.getAttribute('href')}/`);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  for (const [pattern, page] of routes) {
    const match = hash.match(pattern);
    if (match) {
      try {
        stopCurrent = await page(match);
      } catch (error) {
        alertError(error.message);
      }
      return;
    }
  }
  location.hash = '#/keys';
}

whenUnauthorized((message) => {
  render().then(() => alertError(message));
});

document.getElementById('sign-out').addEventListener('click', async () => {
  await signOut();
  location.hash = '#/sign-in';
  render();
});

window.addEventListener('hashchange', render);
// Which sign-in methods exist and whether an OIDC session is already signed in (after /console/callback).
loadAuth().then(render);
