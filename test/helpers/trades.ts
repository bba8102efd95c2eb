import type { TradeEventV1 } from '../../lib/kafka/schemas/trade-event';

/**
 * A trade event that passes validation against the seed reference data: ACC-001 (owner ALPHA-GROWTH-FUND, as is
 * ACC-002's) buys 100 Apple on NYSE at 170.00 on 2024-04-02 (previous close 170.03), with the given changes.
 */
export function seedTrade(overrides: Partial<TradeEventV1> = {}): TradeEventV1 {
  return {
    schemaVersion: 1,
    execId: 'E-1',
    tradeId: 'T-1',
    version: 1,
    lifecycle: 'NEW',
    account: 'ACC-001',
    counterpartyLei: 'W22LROWP2IHZNBB6K528',
    isin: 'US0378331005',
    mic: 'XNYS',
    side: 'BUY',
    quantity: '100',
    price: '170.00',
    currency: 'USD',
    tradeDate: '2024-04-02',
    tradeTime: '2024-04-02T14:30:00.000Z',
    commission: '1.00',
    fees: '0.10',
    ...overrides,
  };
}
