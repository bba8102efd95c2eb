import { Dec } from '../../../lib/domain/money';
import { NetObligation, netObligations, signedCash, signedQuantity } from '../../../lib/domain/netting';
import {
  BookedTradeForSettlement,
  InstructedSettlementInstruction,
  StandingSettlementInstructions,
  buildSettlementInstruction,
} from '../../../lib/domain/settlement-instruction';

const ssi: StandingSettlementInstructions = {
  placeOfSettlement: 'DTCYUS33',
  safekeepingAccount: 'SAFE-001',
  ownAgentBic: 'OWNCUS33',
  counterpartyAgentBic: 'CPTYUS33',
};

let tradeSequence = 0;

/** A gross instruction from a trade with no charges unless given: cash = quantity x price. */
function gross(
  side: 'BUY' | 'SELL',
  quantity: string,
  price: string,
  overrides: Partial<BookedTradeForSettlement> = {},
  settlementInstructions: StandingSettlementInstructions = ssi,
): InstructedSettlementInstruction {
  tradeSequence += 1;
  const instruction = buildSettlementInstruction(
    {
      tradeId: `T-${String(tradeSequence).padStart(5, '0')}`,
      version: 1,
      account: 'ACC-1',
      counterpartyLei: 'LEI-A',
      isin: 'US0378331005',
      side,
      quantity: new Dec(quantity),
      price: new Dec(price),
      commission: new Dec(0),
      fees: new Dec(0),
      currency: 'USD',
      tradeDate: '2024-05-28',
      settlementDate: '2024-05-29',
      ...overrides,
    },
    settlementInstructions,
  );
  if (instruction.state !== 'INSTRUCTED') throw new Error('test trade must be instructable');
  return instruction;
}

function only(obligations: readonly NetObligation[]): NetObligation {
  expect(obligations).toHaveLength(1);
  const [obligation] = obligations;
  if (obligation === undefined) throw new Error('no obligation');
  return obligation;
}

describe('netObligations', () => {
  it('nets a group into one receive with one payment and lists its gross instructions', () => {
    // +100 -30 +20 = +90 received; -1000.00 +330.00 -205.50 = -875.50 paid.
    const buy = gross('BUY', '100', '10.00');
    const sell = gross('SELL', '30', '11.00');
    const buyMore = gross('BUY', '20', '10.275');

    const { obligations, fullyOffset } = netObligations([buy, sell, buyMore]);

    const net = only(obligations);
    expect(fullyOffset).toEqual([]);
    expect(net.kind).toBe('SECURITIES');
    if (net.kind !== 'SECURITIES') return;
    expect(net.movement).toBe('RECE');
    expect(net.quantity.toFixed()).toBe('90');
    expect(net.settlementAmount?.toFixed(2)).toBe('875.50');
    expect(net.creditDebit).toBe('DBIT');
    expect(net.messageType).toBe('MT541');
    expect(net.grossInstructionIds).toEqual([buy.instructionId, sell.instructionId, buyMore.instructionId].sort());
  });

  it('nets to a delivery when more is sold than bought', () => {
    // -50 +20 = -30 delivered; +1000.00 -380.00 = +620.00 received.
    const net = only(netObligations([gross('SELL', '50', '20'), gross('BUY', '20', '19')]).obligations);

    expect(net.kind).toBe('SECURITIES');
    if (net.kind !== 'SECURITIES') return;
    expect(net.movement).toBe('DELI');
    expect(net.quantity.toFixed()).toBe('30');
    expect(net.settlementAmount?.toFixed(2)).toBe('620.00');
    expect(net.creditDebit).toBe('CRDT');
    expect(net.messageType).toBe('MT543');
  });

  it('keeps apart obligations that differ in settlement date, counterparty, payment type or place', () => {
    const instructions = [
      gross('BUY', '10', '1'),
      gross('BUY', '10', '1', { settlementDate: '2024-05-30' }),
      gross('BUY', '10', '1', { counterpartyLei: 'LEI-B' }),
      gross('BUY', '10', '1', { payment: 'FREE' }),
      gross('BUY', '10', '1', {}, { ...ssi, placeOfSettlement: 'FRNYUS33' }),
      gross('BUY', '10', '1', { currency: 'JPY' }),
      gross('BUY', '10', '1', { account: 'ACC-2' }),
      gross('BUY', '10', '1', { isin: 'US5949181045' }),
    ];

    const { obligations } = netObligations(instructions);

    expect(obligations).toHaveLength(8);
  });

  it('turns zero net securities with non-zero cash into a cash-only obligation', () => {
    // buy 100 @ 10 and sell 100 @ 11: no securities move, we receive 100.00.
    const net = only(netObligations([gross('BUY', '100', '10'), gross('SELL', '100', '11')]).obligations);

    expect(net.kind).toBe('CASH_ONLY');
    if (net.kind !== 'CASH_ONLY') return;
    expect(net.netQuantity.isZero()).toBe(true);
    expect(net.settlementAmount.toFixed(2)).toBe('100.00');
    expect(net.creditDebit).toBe('CRDT');
  });

  it('lists a group that nets to nothing as fully offset instead of instructing it', () => {
    const buy = gross('BUY', '100', '10');
    const sell = gross('SELL', '100', '10');

    const { obligations, fullyOffset } = netObligations([buy, sell]);

    expect(obligations).toEqual([]);
    expect(fullyOffset).toHaveLength(1);
    expect(fullyOffset[0]?.grossInstructionIds).toEqual([buy.instructionId, sell.instructionId].sort());
  });

  it('settles free of payment when an against-payment group nets to zero cash', () => {
    // +100 @ 10 = -1000.00, -50 @ 20 = +1000.00: 50 received, no cash.
    const net = only(netObligations([gross('BUY', '100', '10'), gross('SELL', '50', '20')]).obligations);

    expect(net.kind).toBe('SECURITIES');
    if (net.kind !== 'SECURITIES') return;
    expect(net.payment).toBe('APMT');
    expect(net.settlementPayment).toBe('FREE');
    expect(net.messageType).toBe('MT540');
    expect(net.settlementAmount).toBeUndefined();
  });

  it('nets free-of-payment instructions in securities only', () => {
    const net = only(
      netObligations([gross('BUY', '10', '5', { payment: 'FREE' }), gross('SELL', '4', '5', { payment: 'FREE' })])
        .obligations,
    );

    expect(net.kind).toBe('SECURITIES');
    if (net.kind !== 'SECURITIES') return;
    expect(net.quantity.toFixed()).toBe('6');
    expect(net.messageType).toBe('MT540');
    expect(net.netCash.isZero()).toBe(true);
  });

  it('gives the same result, ids included, whatever the input order', () => {
    const instructions = [gross('BUY', '7', '3'), gross('SELL', '2', '4'), gross('BUY', '1', '5', { isin: 'X' })];

    const forward = netObligations(instructions);
    const backward = netObligations([...instructions].reverse());

    expect(backward).toEqual(forward);
  });
});

/** Deterministic PRNG (mulberry32) so that the property test is reproducible from its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, choices: readonly T[]): T {
  const choice = choices[Math.floor(random() * choices.length)];
  if (choice === undefined) throw new Error('empty choices');
  return choice;
}

function randomInstructions(seed: number, count: number): InstructedSettlementInstruction[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const currency = pick(random, ['USD', 'JPY', 'BHD']);
    return gross(pick(random, ['BUY', 'SELL'] as const), String(1 + Math.floor(random() * 500)), '0', {
      // Prices with 4 decimals and odd charges make every instruction round to its currency.
      price: new Dec(Math.floor(random() * 1_000_000)).dividedBy(10_000),
      commission: new Dec(Math.floor(random() * 10_000)).dividedBy(1_000),
      fees: new Dec(Math.floor(random() * 100)).dividedBy(1_000),
      account: pick(random, ['ACC-1', 'ACC-2']),
      counterpartyLei: pick(random, ['LEI-A', 'LEI-B']),
      isin: pick(random, ['US0378331005', 'US5949181045']),
      currency,
      settlementDate: pick(random, ['2024-05-29', '2024-05-30']),
      payment: pick(random, ['APMT', 'APMT', 'FREE'] as const),
    });
  });
}

describe('netObligations invariant over generated instructions', () => {
  it.each([1, 7, 42, 2024, 99991])('seed %i: net equals gross per key and in total; every gross id once', (seed) => {
    const instructions = randomInstructions(seed, 400);

    const { obligations, fullyOffset } = netObligations(instructions);

    const grossByKey = new Map<string, { quantity: Dec; cash: Dec }>();
    const keyOf = (k: { account: string; counterpartyLei: string; isin: string; currency: string }) =>
      JSON.stringify([k.account, k.counterpartyLei, k.isin, k.currency]);
    for (const instruction of instructions) {
      const key = keyOf(instruction) + instruction.settlementDate + instruction.payment;
      const sum = grossByKey.get(key) ?? { quantity: new Dec(0), cash: new Dec(0) };
      grossByKey.set(key, {
        quantity: sum.quantity.plus(signedQuantity(instruction)),
        cash: sum.cash.plus(signedCash(instruction)),
      });
    }
    const netByKey = new Map<string, { quantity: Dec; cash: Dec }>();
    for (const net of obligations) {
      const key = keyOf(net) + net.settlementDate + net.payment;
      expect(netByKey.has(key)).toBe(false);
      netByKey.set(key, { quantity: net.netQuantity, cash: net.netCash });
      if (net.kind === 'SECURITIES') {
        expect(net.quantity.equals(net.netQuantity.abs())).toBe(true);
        expect(net.movement).toBe(net.netQuantity.isPositive() ? 'RECE' : 'DELI');
      }
    }
    for (const [key, sum] of grossByKey) {
      const net = netByKey.get(key) ?? { quantity: new Dec(0), cash: new Dec(0) };
      expect([key, net.quantity.toFixed(), net.cash.toFixed()]).toEqual([
        key,
        sum.quantity.toFixed(),
        sum.cash.toFixed(),
      ]);
    }
    for (const currency of ['USD', 'JPY', 'BHD']) {
      const grossIn = instructions.filter((i) => i.currency === currency);
      const netIn = obligations.filter((o) => o.currency === currency);
      const grossTotals = [
        grossIn.reduce((s, i) => s.plus(signedQuantity(i)), new Dec(0)).toFixed(),
        grossIn.reduce((s, i) => s.plus(signedCash(i)), new Dec(0)).toFixed(),
      ];
      const netTotals = [
        netIn.reduce((s, o) => s.plus(o.netQuantity), new Dec(0)).toFixed(),
        netIn.reduce((s, o) => s.plus(o.netCash), new Dec(0)).toFixed(),
      ];
      expect(netTotals).toEqual(grossTotals);
    }
    const idsOut = [...obligations, ...fullyOffset].flatMap((o) => o.grossInstructionIds).sort();
    expect(idsOut).toEqual(instructions.map((i) => i.instructionId).sort());
    expect(obligations.length).toBeLessThan(instructions.length);
  });
});
