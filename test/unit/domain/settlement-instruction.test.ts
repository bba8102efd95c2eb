import { Dec, Rounding } from '../../../lib/domain/money';
import {
  BookedTradeForSettlement,
  InstructedSettlementInstruction,
  SettlementInstruction,
  StandingSettlementInstructions,
  buildSettlementInstruction,
  cancelSettlementInstruction,
  replaceSettlementInstruction,
  settlementInstructionId,
  swiftMessageTypeFor,
} from '../../../lib/domain/settlement-instruction';

const ssi: StandingSettlementInstructions = {
  placeOfSettlement: 'DTCYUS33',
  safekeepingAccount: 'SAFE-001',
  ownAgentBic: 'OWNCUS33',
  counterpartyAgentBic: 'CPTYUS33',
  counterpartySafekeepingAccount: 'CPTY-777',
};

function trade(overrides: Partial<BookedTradeForSettlement> = {}): BookedTradeForSettlement {
  return {
    tradeId: 'T-1',
    version: 1,
    account: 'ACC-1',
    counterpartyLei: '549300EXAMPLE0000001',
    isin: 'US0378331005',
    side: 'BUY',
    quantity: new Dec('300'),
    price: new Dec('33.3333'),
    commission: new Dec('5.00'),
    fees: new Dec('0.015'),
    currency: 'USD',
    tradeDate: '2024-05-28',
    settlementDate: '2024-05-29',
    ...overrides,
  };
}

function instructed(instruction: SettlementInstruction): InstructedSettlementInstruction {
  if (instruction.state !== 'INSTRUCTED') throw new Error(`expected INSTRUCTED, got ${instruction.state}`);
  return instruction;
}

describe('settlement instruction', () => {
  it('maps movement and payment onto MT540-MT543', () => {
    expect(swiftMessageTypeFor('RECE', 'FREE')).toBe('MT540');
    expect(swiftMessageTypeFor('RECE', 'APMT')).toBe('MT541');
    expect(swiftMessageTypeFor('DELI', 'FREE')).toBe('MT542');
    expect(swiftMessageTypeFor('DELI', 'APMT')).toBe('MT543');
  });

  it('instructs a USD buy as receive against payment, rounding the total once (half-even)', () => {
    // 300 x 33.3333 = 9999.99; + 5.00 + 0.015 = 10005.005 -> 10005.00 half-even.
    // Rounding the fee first (0.015 -> 0.02) would give 10005.01: the total is rounded once, at the end.
    const instruction = instructed(buildSettlementInstruction(trade(), ssi));

    expect(instruction.movement).toBe('RECE');
    expect(instruction.payment).toBe('APMT');
    expect(instruction.messageType).toBe('MT541');
    expect(instruction.settlementAmount?.toFixed()).toBe('10005');
    expect(instruction.settlementAmount?.toFixed(2)).toBe('10005.00');
    expect(instruction.creditDebit).toBe('DBIT');
    expect(instruction.tradeReference).toBe('T-1');
    expect(instruction.isin).toBe('US0378331005');
    expect(instruction.quantity.toFixed()).toBe('300');
    expect([instruction.tradeDate, instruction.settlementDate]).toEqual(['2024-05-28', '2024-05-29']);
    expect(instruction.placeOfSettlement).toBe('DTCYUS33');
    expect(instruction.deliveringParty).toEqual({
      agentBic: 'CPTYUS33',
      lei: '549300EXAMPLE0000001',
      safekeepingAccount: 'CPTY-777',
    });
    expect(instruction.receivingParty).toEqual({ agentBic: 'OWNCUS33', safekeepingAccount: 'SAFE-001' });
  });

  it('rounds half-up when asked', () => {
    const instruction = instructed(buildSettlementInstruction(trade(), ssi, { rounding: Rounding.HALF_UP }));

    expect(instruction.settlementAmount?.toFixed(2)).toBe('10005.01');
  });

  it('instructs a JPY sell as deliver against payment, net of charges, to whole yen', () => {
    // 1000 x 2345.5 = 2,345,500; - 1172.75 commission - 0 fees = 2,344,327.25 -> 2,344,327 JPY received.
    const sell = trade({
      side: 'SELL',
      quantity: new Dec('1000'),
      price: new Dec('2345.5'),
      commission: new Dec('1172.75'),
      fees: new Dec('0'),
      currency: 'JPY',
      isin: 'JP3633400001',
    });

    const instruction = instructed(buildSettlementInstruction(sell, ssi));

    expect(instruction.movement).toBe('DELI');
    expect(instruction.messageType).toBe('MT543');
    expect(instruction.settlementAmount?.toFixed()).toBe('2344327');
    expect(instruction.creditDebit).toBe('CRDT');
    expect(instruction.deliveringParty.agentBic).toBe('OWNCUS33');
    expect(instruction.receivingParty.agentBic).toBe('CPTYUS33');
  });

  it('rounds BHD to three decimals, half-even vs half-up on the last fils', () => {
    // 150 x 1.23456 = 185.184; + 0.1845 commission = 185.3685 -> 185.368 half-even, 185.369 half-up.
    const bhd = trade({
      quantity: new Dec('150'),
      price: new Dec('1.23456'),
      commission: new Dec('0.1845'),
      fees: new Dec('0'),
      currency: 'BHD',
    });

    const halfEven = instructed(buildSettlementInstruction(bhd, ssi));
    const halfUp = instructed(buildSettlementInstruction(bhd, ssi, { rounding: Rounding.HALF_UP }));

    expect(halfEven.settlementAmount?.toFixed(3)).toBe('185.368');
    expect(halfUp.settlementAmount?.toFixed(3)).toBe('185.369');
  });

  it('makes a sell whose charges exceed its proceeds a debit', () => {
    // 1 x 0.50 - 1.00 commission = -0.50: we pay 0.50.
    const sell = trade({
      side: 'SELL',
      quantity: new Dec('1'),
      price: new Dec('0.50'),
      commission: new Dec('1.00'),
      fees: new Dec('0'),
    });

    const instruction = instructed(buildSettlementInstruction(sell, ssi));

    expect(instruction.settlementAmount?.toFixed(2)).toBe('0.50');
    expect(instruction.creditDebit).toBe('DBIT');
  });

  it('instructs free of payment without a settlement amount', () => {
    const receiveFree = instructed(buildSettlementInstruction(trade({ payment: 'FREE' }), ssi));
    const deliverFree = instructed(buildSettlementInstruction(trade({ side: 'SELL', payment: 'FREE' }), ssi));

    expect(receiveFree.messageType).toBe('MT540');
    expect(deliverFree.messageType).toBe('MT542');
    expect(receiveFree.settlementAmount).toBeUndefined();
    expect(receiveFree.creditDebit).toBeUndefined();
  });

  it('derives the instruction id from trade id and version, so redelivery gives the same id', () => {
    const first = buildSettlementInstruction(trade(), ssi);
    const redelivered = buildSettlementInstruction(trade(), ssi);
    const amended = buildSettlementInstruction(trade({ version: 2 }), ssi);

    expect(redelivered.instructionId).toBe(first.instructionId);
    expect(first.instructionId).toBe(settlementInstructionId('T-1', 1));
    expect(amended.instructionId).not.toBe(first.instructionId);
    expect(first.instructionId).toMatch(/^SI[0-9A-F]{14}$/);
    // "T-1" v11 and "T-11" v1 must not collide: the id is not a plain concatenation.
    expect(settlementInstructionId('T-1', 11)).not.toBe(settlementInstructionId('T-11', 1));
  });

  it('keeps a trade without SSI as an EXCEPTION instruction with its reason, not skipped', () => {
    const instruction = buildSettlementInstruction(trade(), undefined);

    expect(instruction.state).toBe('EXCEPTION');
    if (instruction.state !== 'EXCEPTION') return;
    expect(instruction.exceptions.map((e) => e.reason)).toEqual(['SSI_MISSING']);
    expect(instruction.messageType).toBe('MT541');
    expect(instruction.settlementAmount?.toFixed(2)).toBe('10005.00');
  });

  it('names each empty SSI field', () => {
    const instruction = buildSettlementInstruction(trade(), { ...ssi, placeOfSettlement: '', ownAgentBic: ' ' });

    expect(instruction.state).toBe('EXCEPTION');
    if (instruction.state !== 'EXCEPTION') return;
    expect(instruction.exceptions).toEqual([
      { reason: 'SSI_INCOMPLETE', detail: 'SSI field placeOfSettlement is empty' },
      { reason: 'SSI_INCOMPLETE', detail: 'SSI field ownAgentBic is empty' },
    ]);
  });

  it('holds an unknown currency, a non-positive quantity and a settlement date before trade date as exceptions', () => {
    const instruction = buildSettlementInstruction(
      trade({ currency: 'XXX', quantity: new Dec('0'), settlementDate: '2024-05-27' }),
      ssi,
    );

    expect(instruction.state).toBe('EXCEPTION');
    if (instruction.state !== 'EXCEPTION') return;
    expect(instruction.exceptions.map((e) => e.reason)).toEqual([
      'UNKNOWN_CURRENCY',
      'INVALID_QUANTITY',
      'SETTLEMENT_BEFORE_TRADE_DATE',
    ]);
    expect(instruction.settlementAmount).toBeUndefined();
  });

  it('replaces the instruction on amend: cancel the previous, instruct the new version linked to it', () => {
    const previous = buildSettlementInstruction(trade(), ssi);

    const result = replaceSettlementInstruction(previous, trade({ version: 2, quantity: new Dec('200') }), ssi);

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { cancellation, replacement } = result.value;
    expect(cancellation.cancelsInstructionId).toBe(previous.instructionId);
    expect(cancellation.function).toBe('CANC');
    expect(cancellation.sendToCustodian).toBe(true);
    expect(replacement.instructionId).toBe(settlementInstructionId('T-1', 2));
    expect(replacement.replacesInstructionId).toBe(previous.instructionId);
    expect(replacement.tradeVersion).toBe(2);
    // 200 x 33.3333 = 6666.66; + 5.015 = 6671.675 -> 6671.68 half-even (7 is odd, rounds up).
    expect(replacement.settlementAmount?.toFixed(2)).toBe('6671.68');
  });

  it('refuses an amend that is not a newer version of the same trade', () => {
    const current = buildSettlementInstruction(trade({ version: 3 }), ssi);

    const late = replaceSettlementInstruction(current, trade({ version: 2 }), ssi);
    const otherTrade = replaceSettlementInstruction(current, trade({ tradeId: 'T-2', version: 4 }), ssi);

    expect(late).toEqual({ ok: false, errors: ['trade version 2 is not newer than instructed version 3'] });
    expect(otherTrade.ok).toBe(false);
  });

  it('cancels an instruction deterministically; an exception instruction is cancelled internally only', () => {
    const sent = buildSettlementInstruction(trade(), ssi);
    const held = buildSettlementInstruction(trade({ tradeId: 'T-9' }), undefined);

    const first = cancelSettlementInstruction(sent);
    const again = cancelSettlementInstruction(sent);
    const internal = cancelSettlementInstruction(held);

    expect(again).toEqual(first);
    expect(first.cancellationId).not.toBe(sent.instructionId);
    expect(first.messageType).toBe('MT541');
    expect(first.sendToCustodian).toBe(true);
    expect(internal.sendToCustodian).toBe(false);
  });
});
