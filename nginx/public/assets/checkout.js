// ePayco's checkout, opened from what the payment API answered (create-subscription, a tip, the
// bot's link): its script from EPAYCO_CHECKOUT_BASE (the page's CSP allows that origin), then
// checkout.js's one-page checkout (v2 session) or the classic one with our parameters.
function load(src) {
  return new Promise((resolve, reject) => {
    if (window.ePayco) return resolve();
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error('checkout script'));
    document.head.append(s);
  });
}

export async function openCheckout(answer) {
  await load(answer.script);
  if (answer.mode === 'session') {
    window.ePayco.checkout.configure({ sessionId: answer.sessionId, type: 'onepage', test: answer.test }).open();
  } else {
    window.ePayco.checkout.configure({ key: answer.key, test: answer.test }).open(answer.params);
  }
}
