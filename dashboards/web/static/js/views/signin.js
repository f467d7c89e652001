// Sign-in form: user name and password, sent to POST /api/v1/login. A
// refusal is said plainly (wrong user or password; too many failed
// sign-ins, with the wait the collector gave in Retry-After); success
// hands over to the shell, which reads the new account's data afresh.

import {h} from '../widgets.js';

// signInErrorText says in the page's language why signing in failed: err
// is what API.login threw (its status the HTTP status, retryAfter the
// seconds of Retry-After).
export function signInErrorText(i18n, err) {
  const known = i18n.t('signInErr');
  if (err.status === 429) {
    return Number.isFinite(err.retryAfter) ? known[429].replace('{wait}', i18n.plural('seconds', err.retryAfter)) : known.tooMany;
  }
  return known[err.status] ?? known.other + err.message;
}

export function signIn(shell) {
  const {i18n} = shell;
  const msg = h('p', {class: 'signin-msg', id: 'signin-msg', role: 'alert'}, shell.notice ? i18n.t(shell.notice) : '');
  if (shell.notice) msg.dataset.status = shell.notice;
  const send = h('button', {type: 'submit', id: 'signin-send'}, i18n.t('signIn'));
  // The user name is Latin whatever the page's language.
  const field = (name, label, attrs) => h('label', {}, h('span', {}, label), h('input', {name, id: `signin-${name}`, required: true, ...attrs}));
  const form = h('form', {class: 'card signin', id: 'signin'},
    h('h2', {}, i18n.t('signInTitle')),
    field('user', i18n.t('userName'), {autocomplete: 'username', maxlength: 64, autocapitalize: 'none', spellcheck: 'false', dir: 'ltr'}),
    field('password', i18n.t('password'), {type: 'password', autocomplete: 'current-password', maxlength: 200, dir: 'ltr'}),
    send, msg,
    h('p', {class: 'hint'}, i18n.t('signInHint')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const user = form.elements.user.value.trim();
    send.disabled = true;
    msg.textContent = i18n.t('signingIn');
    delete msg.dataset.status;
    try {
      await shell.signIn(user, form.elements.password.value);
    } catch (err) {
      msg.dataset.status = String(err.status ?? '');
      msg.textContent = signInErrorText(i18n, err);
      send.disabled = false;
      form.elements.password.value = '';
      form.elements.password.focus();
    }
  });
  shell.pending.push(() => (form.elements.user.value ? form.elements.password : form.elements.user).focus());
  return [form];
}
