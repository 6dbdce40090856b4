// Drives npm `eximbay` 0.1.5 against eximbay-sim, as a merchant using it would:
// EximbayClient.renderPayment builds and signs the payment-window form (its browser globals
// shimmed here: window, document, the page's pipe/$ helpers and js-sha256, the last over
// Node's crypto), the form is posted to the sandbox's window, Approve is pressed, the
// fields the window posts back are checked against EximbayServer's own _generateFGKey, and
// EximbayServer.requestPaymentResult asks the sandbox's DirectProcessor for the result.
//
// Usage: node run.js <sandbox base URL> <status URL>. The package's two hard-coded gateway
// URLs must already point at the sandbox (tests/tests/npm_client.rs patches this copy).
// Prints one JSON line; exits 1 with "MISSING: ..." lines when any step falls short.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const [base, statusUrl] = process.argv.slice(2);
const missing = [];
const pkg = path.join(__dirname, 'node_modules', 'eximbay');
// The server half runs in Node as it is, loaded before any browser global exists (its
// common module exports only where there is no `window`).
const EximbayServer = require(path.join(pkg, 'server')).default;

// Browser globals, as the package's own client/index.html loads them.
globalThis.window = globalThis;
const appended = [];
globalThis.document = {
  createElement: () => ({
    set innerHTML(html) {
      this.children = [{ outerHTML: html }];
    },
  }),
  querySelector: (sel) => (sel === '.request' ? { appendChild: (child) => appended.push(child.outerHTML) } : null),
};
globalThis.sha256 = {
  create: () => {
    const hash = crypto.createHash('sha256');
    return {
      update(data) {
        hash.update(data, 'utf8');
        return this;
      },
      hex: () => hash.digest('hex'),
    };
  },
};
for (const file of ['client/js/functional.js', 'client/js/$.js', 'common/index.js', 'client/index.js']) {
  vm.runInThisContext(fs.readFileSync(path.join(pkg, file), 'utf8'), { filename: file });
}
const EximbayClient = window.EximbayClient;
const MID = '1849705C64';
const SECRET = '289F40E6640124B2628640168C3C5464';

function unescapeHtml(text) {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function hiddenInputs(html) {
  const fields = [];
  const input = /<input type="hidden" name="([^"]*)" value="([^"]*)"\s*>/g;
  let m;
  while ((m = input.exec(html)) !== null) fields.push([unescapeHtml(m[1]), unescapeHtml(m[2])]);
  return fields;
}

async function main() {
  // The package's own sample order (client/index.html), with the sandbox's URLs.
  const client = new EximbayClient(MID, SECRET, { env: 'test' });
  client.renderPayment({
    amt: '1.0',
    buyer: 'Buyer',
    cur: 'USD',
    displaytype: 'R',
    email: 'test@test.com',
    item_0_product: 'Product Name',
    item_0_quantity: '1',
    item_0_unitPrice: '1',
    lang: 'KR',
    ostype: 'P',
    paymethod: '',
    ref: 'NPM-' + process.pid,
    returnurl: base + '/_sim/returned',
    shipTo_city: 'Mountain View',
    shipTo_country: 'US',
    shipTo_firstName: 'First Name',
    shipTo_lastName: 'Last Name',
    shipTo_phoneNumber: '1234',
    shipTo_postalCode: '94043',
    shipTo_state: 'CA',
    shipTo_street1: '100 Elm Street',
    statusurl: statusUrl,
  });
  if (appended.length !== 1) missing.push('renderPayment appended no form to .request');
  const action = (/<form method="post" action="([^"]*)"/.exec(appended[0] || '') || [])[1];
  if (action !== base + '/Gateway/BasicProcessor.krp') missing.push(`the form's action is the sandbox's BasicProcessor.krp (it is ${action})`);
  const form = hiddenInputs(appended[0] || '');
  const posted = await fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const windowPage = await posted.text();
  const windowPath = (/action="(\/window\/[^"]+)"/.exec(windowPage) || [])[1];
  if (!windowPath) {
    missing.push('the sandbox opened a payment window for the form: ' + windowPage.replace(/\s+/g, ' ').slice(0, 300));
    return { form: form.length };
  }
  const approved = await fetch(base + windowPath, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'action=approve',
  });
  const back = Object.fromEntries(hiddenInputs(await approved.text()));
  if (back.rescode !== '0000') missing.push(`the approved window posts back rescode 0000 (it is ${back.rescode})`);
  const server = new EximbayServer(SECRET);
  const { fgkey, ...signed } = back;
  const own = server._generateFGKey(signed);
  if (!fgkey || own.toUpperCase() !== fgkey.toUpperCase()) missing.push(`the posted-back fgkey equals _generateFGKey's (${fgkey} vs ${own})`);
  const result = await server.requestPaymentResult(back);
  if (result.rescode !== '0000') missing.push(`requestPaymentResult gets rescode 0000 (it is ${result.rescode}: ${result.resmsg})`);
  if (result.status !== 'SALE') missing.push(`requestPaymentResult gets status SALE (it is ${result.status})`);
  if (result.transid !== back.transid) missing.push('requestPaymentResult answers the approved transid');
  return { form: form.length, transid: back.transid, fgkey_matches: own.toUpperCase() === (fgkey || '').toUpperCase(), query: result };
}

main()
  .then((summary) => {
    console.log(JSON.stringify(summary));
    for (const line of missing) console.log('MISSING: ' + line);
    process.exit(missing.length === 0 ? 0 : 1);
  })
  .catch((error) => {
    console.log('MISSING: the run finished (it threw ' + (error && error.stack) + ')');
    process.exit(1);
  });
