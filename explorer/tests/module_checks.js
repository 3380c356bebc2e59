// Assertions of the page's pure JavaScript modules, run inside the explorer's page by
// browser_test.py (Selenium's execute_async_script): it imports the modules the page itself
// serves. arguments[0] is a valid address (the localnet's demo account); the result is
// {n: assertions run, fails: [what went wrong]}.
const done = arguments[arguments.length - 1];
const demo = arguments[0];
(async () => {
  const f = await import('/js/format.js');
  const s = await import('/js/search.js');
  const r = await import('/js/router.js');
  const st = await import('/js/stats.js');
  const b = await import('/js/backoff.js');
  const fails = [];
  let n = 0;
  const eq = (got, want, what) => {
    n++;
    if (JSON.stringify(got) !== JSON.stringify(want)) fails.push(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  eq(f.formatAmount('123456789', 2), '1,234,567.89', 'amount with separators');
  eq(f.formatAmount('5', 2), '0.05', 'amount below one');
  eq(f.formatAmount('1000000', 0), '1,000,000', 'amount without decimals');
  eq(f.formatAmount('340282366920938463463374607431768211455', 2),
     '3,402,823,669,209,384,634,633,746,074,317,682,114.55', 'u128::MAX exactly (BigInt, no float)');
  eq(f.formatAmount('12.5', 2), '?', 'a non-integer amount is refused');
  eq(f.formatAmount('-1', 2), '?', 'a negative amount is refused');
  eq(f.formatSigned('1234', 2, true), '\u221212.34', 'outgoing amount');
  eq(f.shortHash('ab'.repeat(32)), 'abababab\u2026ababab', 'short hash');
  eq(s.classify(' 42 '), { kind: 'height', height: 42 }, 'height');
  eq(s.classify('0x' + 'AB'.repeat(32)), { kind: 'hash', hash: 'ab'.repeat(32) }, 'hash');
  eq(s.classify(demo), { kind: 'address', address: demo }, 'the demo address');
  eq(s.classify(demo.slice(0, -1) + (demo.endsWith('q') ? 'p' : 'q')).kind, 'invalid', 'an address with a typo');
  eq(s.classify('hello').kind, 'invalid', 'words');
  eq(s.classify('').kind, 'empty', 'empty');
  eq(r.parseRoute('#/block/12'), { name: 'block', id: 12 }, 'block route');
  eq(r.parseRoute('#/tx/' + 'CD'.repeat(32)), { name: 'tx', hash: 'cd'.repeat(32) }, 'tx route');
  eq(r.parseRoute('#/account/' + demo), { name: 'account', address: demo }, 'account route');
  eq(r.parseRoute(''), { name: 'dashboard' }, 'dashboard route');
  eq(r.parseRoute('#/nope').name, 'unknown', 'unknown route');
  eq(st.median([5, 1, 3]), 3, 'median');
  const blk = (height, time_ms, txs) => ({ block: { height, time_ms, tx_hashes: Array(txs).fill('h'), proposer: 'p', commit: { signers: ['a'] } } });
  const bins = st.tpsBins([blk(1, 1000, 3), blk(2, 59000, 10)], 60000);
  eq([bins.length, bins[0].txs, bins[11].txs, bins[11].rate], [12, 3, 10, 2], 'tps bins');
  const act = st.validatorActivity([blk(1, 0, 0), blk(2, 0, 0)], [{ key: 'a' }, { key: 'b' }], 20);
  eq([act.get('a').lastSigned, act.get('a').status, act.get('b').status], [2, 'online', 'unknown'], 'validator activity');
  eq(b.retryDelay(0, 0.5) <= b.retryDelay(10, 0.5) && b.retryDelay(30, 0.99) <= 4800, true, 'backoff is bounded');
  return { n, fails };
})().then(done, (e) => done({ n: 0, fails: ['error: ' + e] }));
