import { Dec } from '../../../lib/domain/money';
import { Trade } from '../../../lib/domain/trade';
import {
  RejectedTradeEventV1Schema,
  TradeEventV1,
  ValidatedTradeEventV1Schema,
  decodeTradeEvent,
  encodeRejectedTradeEvent,
  encodeTradeEvent,
  encodeUndecodableTradeEvent,
  encodeValidatedTradeEvent,
} from '../../../lib/kafka/schemas/trade-event';

function tradeEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const event: TradeEventV1 = {
    schemaVersion: 1,
    execId: 'EX-1',
    tradeId: 'TR-1',
    version: 1,
    lifecycle: 'NEW',
    account: 'ACC-1',
    counterpartyLei: 'W22LROWP2IHZNBB6K528',
    isin: 'US0378331005',
    mic: 'XNYS',
    side: 'BUY',
    quantity: '100',
    price: '189.955',
    currency: 'USD',
    tradeDate: '2024-05-24',
    tradeTime: '2024-05-24T14:30:00.123-04:00',
    commission: '1.50',
    fees: '0.03',
  };
  return { ...event, ...overrides };
}

function errorPaths(json: unknown): string[] {
  const result = decodeTradeEvent(json);
  return result.ok ? [] : result.errors.map((error) => error.path);
}

describe('decodeTradeEvent', () => {
  it('decodes a valid event into a trade with exact decimals', () => {
    const result = decodeTradeEvent(tradeEvent({ settlementDate: '2024-05-29', beneficialOwner: 'BO-1' }));

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.price.equals(new Dec('189.955'))).toBe(true);
    expect(result.value.quantity.toFixed()).toBe('100');
    expect(result.value.commission.plus(result.value.fees).toFixed()).toBe('1.53');
    expect(result.value).toMatchObject({
      execId: 'EX-1',
      tradeId: 'TR-1',
      lifecycle: 'NEW',
      side: 'BUY',
      settlementDate: '2024-05-29',
      beneficialOwner: 'BO-1',
    });
  });

  it('keeps more decimals than any instrument allows, for validation to reject rather than round', () => {
    const result = decodeTradeEvent(tradeEvent({ price: '10.123456789', fees: '0.001' }));

    expect(result.ok && result.value.price.toFixed()).toBe('10.123456789');
    expect(result.ok && result.value.fees.toFixed()).toBe('0.001');
  });

  it('reports every field error at once, each with its path', () => {
    const json = tradeEvent({
      execId: '',
      quantity: 100,
      price: '1e3',
      counterpartyLei: 'W22LROWP2IHZNBB6K529',
      isin: 'US0378331006',
      mic: 'NYSE1',
      currency: 'usd',
      tradeDate: '2025-02-29',
      tradeTime: '2024-05-24 14:30',
      side: 'SHORT',
    });

    expect(errorPaths(json).sort()).toEqual(
      [
        'execId',
        'quantity',
        'price',
        'counterpartyLei',
        'isin',
        'mic',
        'currency',
        'tradeDate',
        'tradeTime',
        'side',
      ].sort(),
    );
  });

  it('reads version 1 only: another version is one error, whatever else the record holds', () => {
    expect(errorPaths(tradeEvent({ schemaVersion: 2, execId: '' }))).toEqual(['schemaVersion']);
  });

  it('names each missing field', () => {
    const { fees: _fees, commission: _commission, ...withoutCharges } = tradeEvent();

    expect(errorPaths(withoutCharges)).toEqual(['commission', 'fees']);
  });

  it.each([
    ['quantity', '01'],
    ['quantity', '+5'],
    ['price', '12.'],
    ['price', 'NaN'],
    ['commission', ' 1.5'],
    ['fees', '1'.repeat(41)],
  ])('refuses %s %j as a non-canonical decimal', (field, value) => {
    expect(errorPaths(tradeEvent({ [field]: value }))).toEqual([field]);
  });

  it('refuses a JSON number for an amount, since it would be binary floating point', () => {
    expect(errorPaths(tradeEvent({ price: 189.955 }))).toEqual(['price']);
  });

  it('refuses a record that is not an object with one root error', () => {
    const result = decodeTradeEvent('not a trade');

    expect(result.ok === false && result.errors.length).toBe(1);
    expect(errorPaths('not a trade')).toEqual(['']);
  });
});

describe('encodeTradeEvent', () => {
  const trade: Trade = {
    execId: 'EX-2',
    tradeId: 'TR-2',
    version: 2,
    lifecycle: 'AMEND',
    account: 'ACC-1',
    counterpartyLei: 'W22LROWP2IHZNBB6K528',
    isin: 'GB0002634946',
    mic: 'XLON',
    side: 'SELL',
    quantity: new Dec('1000000000000000000000'),
    price: new Dec('0.00000001'),
    currency: 'GBP',
    tradeDate: '2025-03-03',
    tradeTime: '2025-03-03T09:00:00Z',
    commission: new Dec('0'),
    fees: new Dec('2.5'),
  };

  it('writes decimals in plain notation and round-trips through decode', () => {
    const event = encodeTradeEvent(trade);

    expect(event.quantity).toBe('1000000000000000000000');
    expect(event.price).toBe('0.00000001');
    expect(event).not.toHaveProperty('settlementDate');
    const decoded = decodeTradeEvent(JSON.parse(JSON.stringify(event)));
    expect(decoded.ok && encodeTradeEvent(decoded.value)).toEqual(event);
  });

  it('builds validated and rejected events that satisfy their own schemas', () => {
    const validated = encodeValidatedTradeEvent({ ...trade, settlementDate: '2025-03-05' }, '2025-03-03T09:00:01Z');
    const rejected = encodeRejectedTradeEvent(
      trade,
      [{ code: 'LOT_SIZE', message: 'quantity is not a multiple of 100' }],
      '2025-03-03T09:00:01Z',
    );
    const undecodable = encodeUndecodableTradeEvent(
      { price: 1 },
      [{ path: 'price', message: 'bad' }],
      '2025-03-03T09:00:01Z',
    );

    expect(ValidatedTradeEventV1Schema.safeParse(validated).success).toBe(true);
    expect(validated.settlementDate).toBe('2025-03-05');
    expect(RejectedTradeEventV1Schema.safeParse(rejected).success).toBe(true);
    expect(RejectedTradeEventV1Schema.safeParse(undecodable).success).toBe(true);
    expect(undecodable.reasons).toEqual([{ code: 'SCHEMA_INVALID', message: 'price: bad' }]);
  });
});
