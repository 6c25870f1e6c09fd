// The bot's checkout link lands here (through /api/payment/checkout) with its signed fields in
// the fragment: posted back for the checkout, which opens at once. No session needed.
import { api, errorText, pickLanguage, say, t, useLanguage } from '/assets/app.js';
import { openCheckout } from '/assets/checkout.js';

async function main() {
  await useLanguage(pickLanguage());
  const status = document.getElementById('status');
  const link = new URLSearchParams(location.hash.slice(1));
  const fields = {};
  for (const k of ['u', 'p', 'exp', 'sig']) fields[k] = link.get(k) || '';
  try {
    const answer = await api('POST', '/api/payment/checkout', fields, { allow401: true });
    document.getElementById('invoice').textContent = t('pay.invoice', { invoice: answer.invoice });
    await openCheckout(answer);
  } catch (err) {
    document.querySelector('h1').textContent = t('pay.failed');
    say(status, err.code ? errorText(err) : t('pay.unavailable'), 'error');
  }
}

main();
