// The limits form both the create-key form and the key page use. An empty box means unlimited (null).
import { h, field } from './dom.js';

export const LIMITS = [
  ['requests_per_minute', 'Requests per minute', 'whole'],
  ['input_tokens_per_minute', 'Input tokens per minute', 'whole'],
  ['output_tokens_per_minute', 'Output tokens per minute', 'whole'],
  ['concurrent_streams', 'Concurrent streams', 'whole'],
  ['daily_budget_usd', 'Daily budget (USD)', 'usd'],
  ['monthly_budget_usd', 'Monthly budget (USD)', 'usd'],
];

/** The limit inputs (prefilled from current limits) and a read() that returns the limits object, or throws. */
export function limitFields(current = {}) {
  const inputs = LIMITS.map(([name, , kind]) => h('input', {
    type: 'number',
    name,
    min: kind === 'usd' ? '0' : '1',
    step: kind === 'usd' ? '0.01' : '1',
    inputmode: kind === 'usd' ? 'decimal' : 'numeric',
    value: current[name] ?? null,
  }));
  const group = h('fieldset', { class: 'limits' },
    h('legend', {}, 'Limits (empty: unlimited)'),
    LIMITS.map(([, label], i) => field(label, inputs[i])));
  const read = () => {
    const limits = {};
    LIMITS.forEach(([name, label, kind], i) => {
      const text = inputs[i].value.trim();
      if (text === '') {
        limits[name] = null;
        return;
      }
      const value = Number(text);
      if (!Number.isFinite(value) || value < 0 || (kind === 'whole' && (!Number.isInteger(value) || value < 1))) {
        throw new Error(`${label}: ${kind === 'whole' ? 'a whole number of at least 1' : 'an amount of at least 0'}, or empty.`);
      }
      limits[name] = value;
    });
    return limits;
  };
  return { group, read };
}
